"""The one adapter to Rasa: its REST channel (`POST /webhooks/rest/webhook`).

Rasa being down, slow or broken is an expected state (it starts in about a minute and
needs its action server), so `send` returns `None` for it instead of raising: the
caller answers the citizen with the ways that work without the assistant.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

WEBHOOK = "/webhooks/rest/webhook"
MAX_RESPONSE_BYTES = 1_000_000

# Rasa and the portal run side by side: never send the conversation through a proxy
# configured in the environment for outgoing traffic.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class RasaClient:
    base_url: str
    timeout: float = 8.0

    def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[Any] | None:
        """Rasa's raw reply (a list of message objects), or None when Rasa cannot answer.

        `timeout` applies to connecting and to each read, so a Rasa that hangs gives up
        after about that many seconds.
        """
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata})
        request = urllib.request.Request(
            self.base_url.rstrip("/") + WEBHOOK,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            log.warning("Rasa answered %s at %s", error.code, self.base_url)
            return None
        except (OSError, http.client.HTTPException, ValueError) as error:
            # OSError covers refused connections, timeouts and URLError.
            log.warning("Rasa unreachable at %s: %s", self.base_url, error)
            return None
        if len(raw) > MAX_RESPONSE_BYTES:
            log.warning("Rasa's reply was too large (> %d bytes)", MAX_RESPONSE_BYTES)
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("Rasa's reply was not JSON")
            return None
        if not isinstance(data, list):
            log.warning("Rasa's reply was not a list of messages")
            return None
        return data
