"""The one adapter to the portal's HTTP API (`/api/v1`).

The bot keeps no copy of the catalogue: offers, municipalities and life situations
always come from the portal, and so do the portal's own paths (the one-entrance intake,
the search page, a booking's session and calendar file): the API gives absolute URLs,
and the chat shows only their path and query. Bookings are made here too
(`free_slots`, `book`): a booking's code is passed on once and never logged.

Calls use short timeouts because every chat turn waits for them; a failure raises
`PortalUnavailable`, which the actions turn into a plain "I cannot look up offers
right now" with other ways to find help. When the portal is down, the paths last seen
are used; before any is seen, a message goes without those links.

With `PORTAL_API_TOKEN` in the environment every request carries it as a bearer token
(the portal exempts token holders from its public per-address rate limit).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

DEFAULT_PORTAL_URL = "http://127.0.0.1:5000"
DEFAULT_TIMEOUT = 2.0
# A booking writes (and the database may wait for a concurrent writer): a little longer.
BOOKING_TIMEOUT = 5.0
# Municipalities, situation names and guidance pages change only when content is reloaded.
REFERENCE_TTL = 300.0
TOKEN_VARIABLE = "PORTAL_API_TOKEN"
INTAKE_PAGE = "intake"  # the guidance page of the one-entrance intake


class PortalUnavailable(Exception):
    """The portal did not answer (down, slow, or an unexpected response)."""


@dataclass(frozen=True)
class FreeSlot:
    """A free time of an offer (`GET /offers/<slug>/slots`)."""

    id: str
    starts_at: dt.datetime  # aware (the API gives the Copenhagen offset)
    ends_at: dt.datetime
    channel: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> FreeSlot:
        return cls(str(item["id"]), dt.datetime.fromisoformat(item["starts_at"]),
                   dt.datetime.fromisoformat(item["ends_at"]), str(item["channel"]))


@dataclass(frozen=True)
class Booked:
    """A booking just made. `code` is the secret: shown to the citizen once, never logged
    (it is left out of the repr, which logs and tracebacks may show)."""

    reference: str
    code: str = field(repr=False)
    starts_at: dt.datetime
    ends_at: dt.datetime
    channel: str
    session_path: str | None
    calendar_path: str | None


class SlotTaken(Exception):
    """Somebody else has just booked the time (409): the next free times come along."""

    def __init__(self, message: str, next_slots: list[FreeSlot]) -> None:
        super().__init__("slot taken")
        self.message = message
        self.next_slots = next_slots


class BookingRefused(Exception):
    """The portal refused the booking's input (400): a message per field, in `lang`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))  # the field names, never their values
        self.errors = errors


@dataclass(frozen=True)
class ConsentText:
    """A consent text as the API gives it (`GET /consent-texts`)."""

    id: int
    key: str
    version: int
    agency: str | None
    transcript: bool
    purpose: str
    info_types: tuple[str, ...]
    parties: tuple[str, ...]
    text: str
    refusal: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ConsentText:
        return cls(int(item["id"]), str(item["key"]), int(item.get("version") or 1),
                   item.get("agency") or None, bool(item.get("transcript")),
                   str(item.get("purpose") or ""), tuple(item.get("info_types") or ()),
                   tuple(item.get("parties") or ()), str(item.get("text") or ""),
                   str(item.get("refusal") or ""))


class Refused(Exception):
    """The portal refused the input (400): a message per field, in the request's `lang`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))  # the field names, never their values
        self.errors = errors


@dataclass(frozen=True)
class Submitted:
    """An intake just received. `code` is shown once and never logged (not in the repr)."""

    reference: str
    code: str = field(repr=False)
    status: str
    status_path: str | None
    team: str | None
    contact_due_at: dt.datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Submitted:
        try:
            due = data.get("contact_due_at")
            return cls(str(data["reference"]), str(data["code"]), str(data["status"]),
                       portal_path(data.get("status_url")), data.get("team") or None,
                       dt.datetime.fromisoformat(due) if due else None)
        except (KeyError, TypeError, ValueError) as error:
            raise PortalUnavailable("intake: unexpected answer") from error


@dataclass(frozen=True)
class HandedOver:
    """A chat handed to a person (`POST /handoffs`); `code` never logged."""

    reference: str
    code: str = field(repr=False)
    status_path: str | None
    live: bool
    team: str | None
    message: str


@dataclass(frozen=True)
class Municipality:
    slug: str
    name: str


def portal_path(url: str | None) -> str | None:
    """The path and query of a portal URL (the chat shows only portal paths)."""
    parts = urlsplit(url or "")
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    path: str


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
    channels: tuple[str, ...] = ()
    # Where the offer is booked on the web, when the API names it (else its own page).
    booking_path: str | None = None
    # Only in a search's `nearest` list: why an offer outside the citizen's municipality
    # is shown ("anyone": usable from anywhere; "region": the region's; "nearby").
    elsewhere: str | None = None

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
            path=portal_path(item.get("url")) or "",
            access=item.get("access") or "open",
            anonymous=bool(item.get("anonymous")),
            virtual=bool(item.get("virtual")),
            audiences=tuple(item.get("audiences") or ()),
            situations=tuple(item.get("situations") or ()),
            municipality_slug=area.get("slug") or "",
            municipality_name=area.get("name") or "",
            channels=tuple(item.get("channels") or ()),
            booking_path=portal_path(item.get("booking_url")),
            elsewhere=item.get("elsewhere") or None,
        )


@dataclass(frozen=True)
class Fact:
    """An answer about an offer (`facts` of `GET /offers/<slug>`): `known` is false when
    the catalogue has no answer, and `text` then says so honestly."""

    known: bool
    text: str


@dataclass(frozen=True)
class OfferDetail:
    """One offer with its facts (price, anonymous, location, opening_hours, referral,
    sign_up, waiting_time, for_whom) and the way in of a referred offer."""

    offer: Offer
    facts: dict[str, Fact]
    referral_path: str | None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> OfferDetail:
        try:
            facts = {str(kind): Fact(bool(fact["known"]), str(fact["text"]))
                     for kind, fact in (item.get("facts") or {}).items()}
            referral = item.get("referral_path")
            return cls(Offer.from_json(item), facts,
                       portal_path(referral.get("url")) if isinstance(referral, dict) else None)
        except (KeyError, TypeError, AttributeError) as error:
            raise PortalUnavailable(f"unexpected offer: {error}") from error


@dataclass(frozen=True)
class Search:
    """One search's offers (best first) and the portal's search page showing it.

    With words (`q`), the portal also says which life situations they name
    (`understood`, most likely first) and whether it is `confident` of them; `nearest` are
    fitting offers outside the chosen municipality when nothing in it fits.
    """

    offers: list[Offer]
    search_path: str | None
    understood: tuple[str, ...] = ()
    confident: bool = False
    nearest: list[Offer] = field(default_factory=list)


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

    token: str | None = field(default_factory=lambda: os.environ.get(TOKEN_VARIABLE) or None)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if self.token:
            self._session.headers["Authorization"] = f"Bearer {self.token}"
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._search_page: dict[str, str] = {}  # lang -> the search page's path, last seen
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

    def _cached(self, path: str, lang: str, *, ask: bool = True,
                stale: bool = False) -> list[dict[str, Any]]:
        """`path`'s items, asked at most every REFERENCE_TTL seconds.

        `stale`: when the portal fails (or `ask` is false), the items last seen, if any.
        """
        key = (path, lang)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit.expires > now:
            return hit.value
        if not ask:
            if hit and stale:
                return hit.value
            raise PortalUnavailable(f"{path} not asked")
        try:
            items = self._get(path, {"lang": lang}).get("items") or []
        except PortalUnavailable:
            if hit and stale:
                return hit.value
            raise
        with self._lock:
            self._cache[key] = _Cached(items, now + REFERENCE_TTL)
        return items

    def municipalities(self, lang: str = "da") -> list[Municipality]:
        return [Municipality(m["slug"], m["name"]) for m in self._cached("/municipalities", lang)
                if m.get("kind", "municipality") == "municipality"]

    def situation_names(self, lang: str = "da") -> dict[str, str]:
        return {s["slug"]: s["name"] for s in self._cached("/situations", lang)}

    def pages(self, lang: str = "da", *, ask: bool = True) -> dict[str, Page]:
        """The guidance pages by key (the last seen ones while the portal is down)."""
        pages = {}
        for item in self._cached("/pages", lang, ask=ask, stale=True):
            path = portal_path(item.get("url"))
            if item.get("key") and path:
                pages[item["key"]] = Page(item["key"], item.get("title") or "", path)
        return pages

    def intake_path(self, lang: str = "da", *, ask: bool = True) -> str | None:
        """The one-entrance intake's path; None when it was never seen."""
        try:
            page = self.pages(lang, ask=ask).get(INTAKE_PAGE)
        except PortalUnavailable:
            return None
        return page.path if page else None

    def referral_path(self, slug: str, lang: str = "da") -> str | None:
        """Where a referred offer's way in starts (the offer's `referral_path`)."""
        key = (f"/offers/{slug}", lang)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit.expires > now:
            return hit.value
        try:
            referral = self._get(f"/offers/{slug}", {"lang": lang}).get("referral_path")
        except PortalUnavailable:
            return hit.value if hit else None
        path = portal_path(referral.get("url")) if isinstance(referral, dict) else None
        with self._lock:
            self._cache[key] = _Cached(path, now + REFERENCE_TTL)
        return path

    def offer(self, slug: str, lang: str = "da") -> OfferDetail:
        """One offer with its facts, in `lang` (`GET /offers/<slug>`)."""
        return OfferDetail.from_json(self._get(f"/offers/{quote(slug, safe='')}",
                                               {"lang": lang}))

    def search(self, *, lang: str = "da", q: str | None = None,
               municipality: str | None = None, situation: str | None = None,
               audience: str | None = None, virtual: bool = False,
               per_page: int | None = 3) -> Search:
        """Offers that fit, best first (the portal's own ranking), and the search page
        of the same search (`per_page` None: the portal's own page size)."""
        params: dict[str, Any] = {"lang": lang}
        if per_page:
            params["per_page"] = per_page
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
        data = self._get("/offers", params)
        search_path = portal_path(data.get("search_url"))
        if search_path:
            with self._lock:
                self._search_page[lang] = search_path.split("?", 1)[0]
        offers = [Offer.from_json(item) for item in data.get("items") or []]
        nearest = [Offer.from_json(item) for item in data.get("nearest") or []]
        understood = data.get("understood") or {}
        situations = tuple(str(s["slug"]) for s in understood.get("situations") or []
                           if isinstance(s, dict) and s.get("slug"))
        return Search([o for o in offers if o.path], search_path, situations,
                      bool(understood.get("confident")) and bool(situations),
                      [o for o in nearest if o.path])

    def search_path(self, lang: str = "da", q: str | None = None,
                    municipality: str | None = None, *, ask: bool = True) -> str | None:
        """The portal's search page for these words and place, as a path.

        Asked from the API (the search page of the same search, at the portal's own
        page size); when the portal does not answer (or `ask` is false), the search page
        last seen with the same parameters as the API's; None when it was never seen.
        """
        if ask:
            try:
                return self.search(lang=lang, q=q, municipality=municipality,
                                   per_page=None).search_path
            except PortalUnavailable:
                pass
        with self._lock:
            page = self._search_page.get(lang)
        if page is None:
            return None
        params = {k: v for k, v in (("q", (q or "")[:200]), ("municipality", municipality))
                  if v}
        return page + (f"?{urlencode(params)}" if params else "")


    # -- booking -----------------------------------------------------------------

    def free_slots(self, slug: str, first: dt.date, last: dt.date,
                   channel: str | None = None) -> list[FreeSlot]:
        """The offer's free times on the Copenhagen days `first`..`last`, in time order."""
        params: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat()}
        if channel:
            params["channel"] = channel
        data = self._get(f"/offers/{slug}/slots", params)
        try:
            slots = [FreeSlot.from_json(item) for item in data.get("items") or []]
        except (KeyError, TypeError, ValueError) as error:
            raise PortalUnavailable(f"unexpected free times: {error}") from error
        return sorted(slots, key=lambda s: s.starts_at)

    def book(self, slot_id: str, channel: str, *, alias: str | None = None,
             email: str | None = None, phone: str | None = None,
             lang: str = "da") -> Booked:
        """Book a free time. Raises `SlotTaken` (409), `BookingRefused` (400) or
        `PortalUnavailable` (no answer, or one that is not the contract's)."""
        body = {"slot_id": slot_id, "channel": channel, "lang": lang,
                **{k: v for k, v in (("alias", alias), ("email", email), ("phone", phone))
                   if v}}
        try:
            response = self._session.post(f"{self.base_url}/api/v1/bookings", json=body,
                                          params={"lang": lang}, timeout=BOOKING_TIMEOUT)
            data = response.json()
        except (requests.RequestException, ValueError) as error:
            # Only the exception's kind: the body of an answer is never logged from here.
            raise PortalUnavailable(f"booking: {type(error).__name__}") from error
        if not isinstance(data, dict):
            raise PortalUnavailable(f"booking: unexpected answer ({response.status_code})")
        try:
            if response.status_code == 201:
                return Booked(
                    reference=str(data["reference"]), code=str(data["code"]),
                    starts_at=dt.datetime.fromisoformat(data["starts_at"]),
                    ends_at=dt.datetime.fromisoformat(data["ends_at"]),
                    channel=str(data["channel"]),
                    session_path=portal_path(data.get("session_url")),
                    calendar_path=portal_path(data.get("ics_url")))
            if response.status_code == 409:
                raise SlotTaken(str(data.get("message") or ""),
                                [FreeSlot.from_json(s) for s in data.get("next_slots") or []])
            if response.status_code == 400 and isinstance(data.get("errors"), dict):
                raise BookingRefused({str(k): str(v) for k, v in data["errors"].items()})
        except (KeyError, TypeError, ValueError) as error:
            raise PortalUnavailable(f"booking: unexpected answer ({response.status_code})") \
                from error
        raise PortalUnavailable(f"booking: answered {response.status_code}")


    # -- the one-entrance intake and "talk to a person" ---------------------------------

    def consent_texts(self, municipality: str, lang: str = "da") -> list[ConsentText]:
        """The consent texts a person in `municipality` is shown (`GET /consent-texts`)."""
        data = self._get("/consent-texts", {"municipality": municipality, "lang": lang})
        try:
            return [ConsentText.from_json(item) for item in data.get("items") or []]
        except (KeyError, TypeError, ValueError) as error:
            raise PortalUnavailable(f"unexpected consent texts: {error}") from error

    def submit_intake(self, body: dict[str, Any]) -> Submitted:
        """`POST /intakes`: raises `Refused` (400), `PortalUnavailable` otherwise."""
        return Submitted.from_json(self._post("/intakes", body, "intake"))

    def hand_over(self, body: dict[str, Any]) -> HandedOver:
        """`POST /handoffs`: raises `Refused` (400), `PortalUnavailable` otherwise."""
        data = self._post("/handoffs", body, "handoff")
        try:
            return HandedOver(
                reference=str(data["reference"]), code=str(data["code"]),
                status_path=portal_path(data.get("status_url")), live=bool(data.get("live")),
                team=data.get("team"), message=str(data.get("message") or ""))
        except (KeyError, TypeError) as error:
            raise PortalUnavailable("handoff: unexpected answer") from error

    def _post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """A POST that creates something (201); its answer is never logged from here."""
        try:
            response = self._session.post(f"{self.base_url}/api/v1{path}", json=body,
                                          params={"lang": body.get("lang", "da")},
                                          timeout=BOOKING_TIMEOUT)
            data = response.json()
        except (requests.RequestException, ValueError) as error:
            raise PortalUnavailable(f"{what}: {type(error).__name__}") from error
        if not isinstance(data, dict):
            raise PortalUnavailable(f"{what}: unexpected answer ({response.status_code})")
        if response.status_code == 201:
            return data
        if response.status_code == 400 and isinstance(data.get("errors"), dict):
            raise Refused({str(k): str(v) for k, v in data["errors"].items()})
        raise PortalUnavailable(f"{what}: answered {response.status_code}")


_default_client: PortalClient | None = None


def default_client() -> PortalClient:
    """The process-wide client (one connection pool for all actions)."""
    global _default_client
    if _default_client is None:
        _default_client = PortalClient()
    return _default_client
