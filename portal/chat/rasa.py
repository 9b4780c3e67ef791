"""The one adapter to Rasa: its REST channel (`POST /webhooks/rest/webhook`), and two
calls of its HTTP API (`rasa run --enable-api --auth-token`, the token in `token`):
resuming a conversation paused for a caseworker's live chat, and parsing a message.

Rasa being down, slow or broken is an expected state (it starts in about a minute and
needs its action server), so `send` returns `None` for it instead of raising: the
caller answers the citizen with the ways that work without the assistant.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.parse
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
    token: str = ""

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

    def resume(self, sender: str) -> bool:
        """Resume a paused conversation: the assistant answers the citizen's next message
        again. False when Rasa could not be told (the caller tries again later).

        Two events on its tracker: `resume`, then `action_listen`. The action that paused
        the conversation was its turn's last: Rasa predicted nothing after it, so without
        the listen the next message would come in the middle of that turn, and the
        policies would only predict listening (the assistant would answer nothing)."""
        path = f"/conversations/{urllib.parse.quote(sender, safe='')}/tracker/events"
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        return self._api(path, events) is not None

    def parse(self, text: str) -> str | None:
        """The intent Rasa's NLU gives `text` (`POST /model/parse`; nothing is added to
        any conversation), or None when Rasa cannot say."""
        data = self._api("/model/parse", {"text": text})
        intent = data.get("intent") if isinstance(data, dict) else None
        name = intent.get("name") if isinstance(intent, dict) else None
        return name if isinstance(name, str) else None

    def _api(self, path: str, payload: Any) -> Any:
        query = "?" + urllib.parse.urlencode({"token": self.token}) if self.token else ""
        request = urllib.request.Request(
            self.base_url.rstrip("/") + path + query,
            data=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            log.warning("Rasa's API answered %s (%s)", error.code, path.split("/")[1])
            return None
        except (OSError, http.client.HTTPException, ValueError) as error:
            log.warning("Rasa's API unreachable at %s: %s", self.base_url, error)
            return None
        if len(raw) > MAX_RESPONSE_BYTES:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
