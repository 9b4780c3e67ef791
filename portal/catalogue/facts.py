"""Answers to the questions people ask about an offer ("er det gratis?", "kan jeg være
anonym?", "hvor ligger det?"), from the offer's own content and nothing else.

Each answer is `{"known": bool, "text": str}` in the asked language. `known` says whether
the catalogue states an answer; when it does not, `text` says so honestly ("the sources
do not say") instead of guessing. The content has no price and no opening hours for any
offer (the seeds give none), so those two are never known: a price or an opening time
must come from a seed line in the content, never from here.

What the content does state, and where each answer comes from:

- referral:      `access` (open / self / referral), in the offer page's own words;
- anonymous:     the `anonymous` flag (the page's "Can I be anonymous?");
- location:      virtual + channels, the area (and its region), the provider, and the
                 content's own contact text (which says when there is no address);
- sign_up:       the content's "how to use" text (plus booking in the portal, if any);
- waiting_time:  the content's waiting-time text; not known when it opens by saying the
                 sources give none (`_NO_WAITING_TIME`);
- for_whom:      the content's "who is it for" text.

The assistant (`GET /api/v1/offers/<slug>`'s `facts`) and anyone else reading the API
use these; the wording reuses the offer page's sentences where they exist.
"""

from __future__ import annotations

import re
from typing import Literal, TypedDict

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.catalogue.models import Offer

FactKind = Literal["price", "anonymous", "location", "opening_hours", "referral", "sign_up",
                   "waiting_time", "for_whom"]
FACT_KINDS: tuple[FactKind, ...] = ("price", "anonymous", "location", "opening_hours",
                                    "referral", "sign_up", "waiting_time", "for_whom")

# How the content says that it gives no waiting time, at the start of its waiting-time
# text ("Kilderne oplyser ikke en ventetid.", "The source gives no waiting time.").
# "Straks. Kilderne nævner ingen ventetid." states one ("Straks") first: known.
_NO_WAITING_TIME = re.compile(
    r"^(kilden|kilderne)\s+(oplyser|nævner)\s+(ikke|ingen)\b"
    r"|^the\s+sources?\s+(gives?\s+no|do(es)?\s+not\s+give)\b",
    re.IGNORECASE)


class Fact(TypedDict):
    known: bool
    text: str


def offer_facts(offer: Offer, lang: str, *, bookable: bool = False) -> dict[str, Fact]:
    """The answer to each kind of question about `offer`, in `lang`.

    `bookable`: the offer's sessions are booked in the portal (the booking area knows;
    the catalogue does not).
    """
    text = offer.text(lang)
    with force_locale(lang):
        return {
            "price": _fact(False, _("The sources do not say whether it costs anything.") + " "
                           + _("Ask %(provider)s when you make contact.",
                               provider=text.provider)),
            "anonymous": (
                _fact(True, _("Yes.") + " " + _("You do not have to say who you are."))
                if offer.anonymous else
                _fact(False, _("Not stated.") + " " + _("The sources do not say that you can "
                                                        "be anonymous. Ask when you make "
                                                        "contact."))),
            "location": _fact(True, _join(_where(offer, lang), _plain(text.contact))),
            "opening_hours": _fact(False, _join(
                _("The sources give no opening hours."),
                _("You book a time yourself: the free times are shown in the portal.")
                if bookable else "")),
            "referral": _fact(True, _referral(offer)),
            "sign_up": _fact(bool(text.how_to_use.strip()), _join(
                _plain(text.how_to_use) or _("The sources do not say how to get started."),
                _("You can book a time here in the portal.") if bookable else "")),
            "waiting_time": _fact(
                bool(text.waiting_time.strip())
                and not _NO_WAITING_TIME.match(_plain(text.waiting_time)),
                _plain(text.waiting_time) or _("The sources give no waiting time.")),
            "for_whom": _fact(bool(text.for_whom.strip()),
                              _plain(text.for_whom) or _("The sources do not say.")),
        }


def _fact(known: bool, text: str) -> Fact:
    return {"known": known, "text": text}


def _referral(offer: Offer) -> str:
    if offer.access == "open":
        return _("No.") + " " + _("You do not need a referral or a decision from the "
                                  "municipality.")
    if offer.access == "self":
        return _("No.") + " " + _("You contact them yourself. The municipality does not "
                                  "have to decide first.")
    return _join(_("Yes.") + " " + _("The municipality must first decide that you can have "
                                     "this offer. This is called a referral decision."),
                 _("You can start with the one-entrance intake: you tell your story once, "
                   "and a coordinating caseworker in the municipality finds the right help "
                   "with you."))


def _where(offer: Offer, lang: str) -> str:
    """Where it is: online by which channels, the area (and its region), the provider."""
    area = offer.area.text(lang).name
    if offer.area.region is not None:
        place = _("In %(area)s (%(region)s).", area=area,
                  region=offer.area.region.text(lang).name)
    else:
        place = _("In %(area)s.", area=area)
    provider = offer.text(lang).provider
    if provider and provider != area:
        place = _join(place, _("Run by %(provider)s.", provider=provider))
    if offer.virtual and offer.channels:
        names = {"chat": _("chat"), "video": _("video"), "phone": _("phone")}
        channels = ", ".join(names.get(c, c) for c in offer.channels)
        return _join(_("Online: you use it from where you are, by %(channels)s.",
                       channels=channels), place)
    return place


def _plain(text: str | None) -> str:
    """A content text for a chat line: paragraphs kept, line breaks inside them joined."""
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
