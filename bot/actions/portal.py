"""The one adapter to the portal's HTTP API (`/api/v1`).

The bot keeps no copy of the catalogue: offers, municipalities and life situations
always come from the portal. Calls use short timeouts because every chat turn waits
for them; a failure raises `PortalUnavailable`, which the actions turn into a plain
"I cannot look up offers right now" with other ways to find help.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

DEFAULT_PORTAL_URL = "http://127.0.0.1:5000"
DEFAULT_TIMEOUT = 2.0
# Municipalities and situation names change only when content is reloaded.
REFERENCE_TTL = 300.0


class PortalUnavailable(Exception):
    """The portal did not answer (down, slow, or an unexpected response)."""


@dataclass(frozen=True)
class Municipality:
    slug: str
    name: str


@dataclass(frozen=True)
class Offer:
    slug: str
    title: str
    summary: str
    path: str
    access: str
    anonymous: bool
    virtual: bool
    audiences: tuple[str, ...]
    situations: tuple[str, ...]
    municipality_slug: str
    municipality_name: str

    @property
    def for_relatives(self) -> bool:
        return "relatives" in self.audiences

    @property
    def needs_referral(self) -> bool:
        return self.access == "referral"

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Offer:
        area = item.get("municipality") or {}
        return cls(
            slug=item["slug"],
            title=item.get("title") or item["slug"],
            summary=item.get("summary") or "",
            # The API gives absolute URLs; the chat may only show portal paths.
            path=urlsplit(item.get("url") or "").path or f"/tilbud/{item['slug']}",
            access=item.get("access") or "open",
            anonymous=bool(item.get("anonymous")),
            virtual=bool(item.get("virtual")),
            audiences=tuple(item.get("audiences") or ()),
            situations=tuple(item.get("situations") or ()),
            municipality_slug=area.get("slug") or "",
            municipality_name=area.get("name") or "",
        )


@dataclass
class _Cached:
    value: Any
    expires: float


@dataclass
class PortalClient:
    """Talks to the portal API with one reused `requests.Session`."""

    base_url: str = field(default_factory=lambda: os.environ.get("PORTAL_URL",
                                                                  DEFAULT_PORTAL_URL))
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._lock = threading.Lock()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._session.get(f"{self.base_url}/api/v1{path}", params=params,
                                         timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as error:
            raise PortalUnavailable(str(error)) from error
        if not isinstance(data, dict):
            raise PortalUnavailable(f"unexpected answer from {path}")
        return data

    def _cached(self, path: str, lang: str) -> list[dict[str, Any]]:
        key = (path, lang)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit.expires > now:
                return hit.value
        items = self._get(path, {"lang": lang}).get("items") or []
        with self._lock:
            self._cache[key] = _Cached(items, now + REFERENCE_TTL)
        return items

    def municipalities(self, lang: str = "da") -> list[Municipality]:
        return [Municipality(m["slug"], m["name"]) for m in self._cached("/municipalities", lang)
                if m.get("kind", "municipality") == "municipality"]

    def situation_names(self, lang: str = "da") -> dict[str, str]:
        return {s["slug"]: s["name"] for s in self._cached("/situations", lang)}

    def offers(self, *, lang: str = "da", q: str | None = None,
               municipality: str | None = None, situation: str | None = None,
               audience: str | None = None, virtual: bool = False,
               per_page: int = 3) -> list[Offer]:
        """Offers that fit, best first (the portal's own ranking)."""
        params: dict[str, Any] = {"lang": lang, "per_page": per_page}
        if q:
            params["q"] = q[:200]
        if municipality:
            params["municipality"] = municipality
        if situation:
            params["situation"] = situation
        if audience:
            params["audience"] = audience
        if virtual:
            params["virtual"] = "1"
        return [Offer.from_json(item) for item in self._get("/offers", params).get("items") or []]


_default_client: PortalClient | None = None


def default_client() -> PortalClient:
    """The process-wide client (one connection pool for all actions)."""
    global _default_client
    if _default_client is None:
        _default_client = PortalClient()
    return _default_client
