"""Booking a session in the chat: the booking form, what it asks, and the booking itself.

A Rasa form in the financial-demo style. `book_session` activates `booking_form`, which
asks, in this order and only what it does not know yet:

1. `booking_offer`: which offer — only among bookable ones (`virtual` offers, from the
   API); not asked when the citizen's words (or the situation they described) fit one;
2. `booking_channel`: chat, video or phone — only when the offer has times in several;
3. `booking_slot`: a free time — the next ones as buttons, "later", "lunch", "evening",
   or written ("i morgen aften", "tirsdag 17.30");
4. `booking_alias`: what the treater may call them (any nickname; skip);
5. `booking_contact`: an e-mail address or a phone number for a reminder (skip), or the
   number to call for a phone session.

Never a name, never a CPR number. `validate_booking_form` reads each answer (buttons or
free text, whatever its intent: the NLU is not trained on every way to write a time)
and keeps the form's state in `booking_state` (the offers to choose from, the times
shown, the filters, how many answers it did not understand: after two it explains more).
Messages whose intent is an interruption (`crisis`, `bot_challenge`, ...) or a no
(`deny`: "nej tak", "stop", "annuller") are not taken as answers: the form rejects them,
so the rules answer them (crisis first, then the form asks again; a no stops the form,
nothing is booked) — except a no that names another time ("ikke i dag, i morgen aften").

`action_book_session` books through the API once the form is done and says the
reference, the code (in its own message: it cannot be shown again), the session link and
the calendar file; a time taken meanwhile (409) sets `booking_status: retry` and the form
asks again with the next free times. The code is never logged and never put in a URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import textfold
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts, times
from actions.actions import UsesPortal, lang_of, say
from actions.portal import (
    BookingRefused,
    FreeSlot,
    Offer,
    PortalClient,
    PortalUnavailable,
    SlotTaken,
)

logger = logging.getLogger(__name__)

FORM = "booking_form"
OFFER, CHANNEL, SLOT, ALIAS, CONTACT = ("booking_offer", "booking_channel", "booking_slot",
                                        "booking_alias", "booking_contact")
REQUIRED = (OFFER, CHANNEL, SLOT, ALIAS, CONTACT)
STATE = "booking_state"
STATUS = "booking_status"
RETRY, DONE = "retry", "done"
REQUESTED = "requested_slot"

CHANNELS = ("chat", "video", "phone")
SHOWN = 5  # free times per question
HORIZON_DAYS = 14  # the times offered: today and the next 13 days
MISSES_BEFORE_HELP = 2
MAX_ALIAS = 60  # as the portal's booking input
# Not answers to the form's question: the rules answer these (and a no stops the form).
INTERRUPTIONS = frozenset({"crisis", "bot_challenge", "bot_capabilities", "request_human",
                           "deny", "manage_booking"})
SKIP_INTENT = "skip"
# Skipping in words, whatever the intent (folded; at a word's start).
SKIP_WORDS = ("spring over", "spring det over", "spring den over", "skip", "ingen paminde",
              "uden paminde", "uden navn", "intet navn", "ingen mail", "ingen e-mail",
              "anonym", "no reminder", "no name", "no email", "without a")

_SLOT_ID = re.compile(r"^\d{1,9}-\d{12}$")
_EMAIL = re.compile(r"[^@\s,;:<>()]+@[^@\s.,;:<>()]+(?:\.[^@\s.,;:<>()]+)+")
_PHONE = re.compile(r"(?:\+|00)?\d[\d \-().]{6,20}\d")
_CPR = re.compile(r"\b\d{6}[- ]?\d{4}\b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ALIAS_LEAD = re.compile(
    r"^(?:kald mig|du kan kalde mig|jeg hedder|mit navn er|jeg er|call me|my name is|"
    r"i am|i'm|it's)\s+", re.IGNORECASE)

# Words for the two bookable situations of the demo, folded; matched at a word's start.
# They map to the portal's life-situation slugs: which offer fits comes from the API.
TOPIC_WORDS = {
    "alcohol": ("alkohol", "alko", "drikk", "druk", "spiritus", "alcohol", "drink",
                "booze"),
    "housing": ("bostotte", "bo-stotte", "bolig", "eget hjem", "egen bolig", "housing",
                "support at home", "home support", "living support"),
}
CHANNEL_WORDS = {
    "chat": ("chat", "skriv", "tekst", "write", "text", "typing"),
    "video": ("video", "webcam", "kamera", "camera", "skerm", "screen", "teams", "zoom"),
    "phone": ("telefon", "tlf", "ring", "mobil", "phone", "call"),
}
PERIOD_BUTTONS = ("lunch", "evening")


# --- the form's state -----------------------------------------------------------------


@dataclass
class Choice:
    """A bookable offer, as the form keeps it (the chat's texts need no more)."""

    slug: str
    title: str
    place: str
    path: str
    booking_path: str | None = None
    access: str = "open"
    summary: str = ""
    situations: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, offer: Offer) -> Choice:
        return cls(offer.slug, offer.title, offer.municipality_name, offer.path,
                   offer.booking_path, offer.access, offer.summary, list(offer.situations))

    @property
    def web_path(self) -> str | None:
        """Where the citizen books on the web (the offer's page when no booking page is
        known: it says how to book)."""
        return self.booking_path or self.path or None


@dataclass
class State:
    """What the booking form remembers between questions (slot `booking_state`)."""

    choices: list[dict[str, Any]] = field(default_factory=list)
    offer: dict[str, Any] | None = None
    channels: list[str] = field(default_factory=list)  # the offer's channels with times
    # Which times to show: after a time (ISO), on a day or from a day on, a part of the
    # day, at a clock time ("HH:MM").
    after: str | None = None
    day: str | None = None
    week: str | None = None
    period: str | None = None
    clock: str | None = None
    offered: list[dict[str, str]] = field(default_factory=list)  # [{"id", "starts_at"}]
    periods: list[str] = field(default_factory=list)  # parts of the day with free times
    notice: str | None = None  # said before the times: "taken", "no_match", "no_later"
    misses: int = 0

    @classmethod
    def load(cls, value: Any) -> State:
        if not isinstance(value, dict):
            return cls()
        known = {k: v for k, v in value.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:
            return cls()

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def choice(self) -> Choice | None:
        return Choice(**self.offer) if self.offer else None

    def clear_filters(self) -> None:
        self.after = self.day = self.week = self.period = self.clock = None


def reset_events() -> list[EventType]:
    """Forget the booking: its answers (an alias, an e-mail or a phone number) are not
    kept in the conversation once the booking is made or stopped."""
    return [SlotSet(name, None) for name in (*REQUIRED, STATE)]


def _payload(intent: str, entity: str, value: str) -> str:
    return f"/{intent}" + json.dumps({entity: value})


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w@+.\- ]+", " ", textfold.fold(text or "")).split())


def _has_word(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"(?<!\w)" + re.escape(word), text) for word in words)


def topic_of(text: str) -> str | None:
    """The bookable life situation the words are about ("alkoholbehandler" -> alcohol)."""
    folded = _words(text)
    found = [slug for slug, words in TOPIC_WORDS.items() if _has_word(folded, words)]
    return found[0] if len(found) == 1 else None


def channels_in(text: str) -> list[str]:
    folded = _words(text)
    return [name for name, words in CHANNEL_WORDS.items() if _has_word(folded, words)]


def clean_alias(text: str) -> str:
    alias = _ALIAS_LEAD.sub("", " ".join((text or "").split())).strip(" .!,")
    return alias


def read_contact(text: str) -> tuple[str | None, str | None]:
    """(e-mail address, phone number) found in what the citizen wrote; either may be
    None. A phone number is a Danish one (8 digits, "+45" added) or one written with +
    or 00 and its country code, as the portal takes them."""
    text = text or ""
    email_match = _EMAIL.search(text)
    email = email_match.group(0).strip(".") if email_match else None
    rest = text.replace(email_match.group(0), " ") if email_match else text
    phone = None
    for candidate in _PHONE.findall(rest):
        digits = re.sub(r"[\s\-().]", "", candidate)
        if re.fullmatch(r"\d{8}", digits):
            phone = "+45" + digits
        elif re.fullmatch(r"(?:\+|00)[1-9]\d{6,14}", digits):
            phone = "+" + digits.lstrip("+").removeprefix("00")
        if phone:
            break
    return email, phone


# --- the form's validation ------------------------------------------------------------


class ValidateBookingForm(UsesPortal, FormValidationAction):
    """Reads each answer of the booking form and prepares the next question's choices."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return BookingFlow(self.client, dispatcher, tracker).run()


class BookingFlow:
    """One run of the form's validation: what changes, and what is said."""

    def __init__(self, client: PortalClient, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.lang = lang_of(tracker)
        self.state = State.load(tracker.get_slot(STATE))
        self.changes: dict[str, Any] = {}
        self.fetched: list[FreeSlot] | None = None  # this run's free times, once asked

    # -- slots ---------------------------------------------------------------------------

    def get(self, name: str) -> Any:
        return self.changes[name] if name in self.changes else self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self.changes[name] = value

    def events(self) -> list[EventType]:
        self.changes[STATE] = self.state.dump()
        return [SlotSet(name, value) for name, value in self.changes.items()]

    def say(self, name: str, **variables: Any) -> None:
        self.dispatcher.utter_message(text=texts.text(name, self.lang, **variables))

    def end(self) -> None:
        """Stop the form now (nothing to book): `action_book_session` then only tidies up."""
        self.set(REQUESTED, None)

    # -- the run -------------------------------------------------------------------------

    def run(self) -> list[EventType]:
        message = self.tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if self.tracker.active_loop_name != FORM:
            self.start()
        else:
            requested = self.tracker.get_slot(REQUESTED)
            text = (message.get("text") or "").strip()
            names_a_time = (requested == SLOT and intent == "deny"
                            and not times.read_wish(text).empty)
            if intent in INTERRUPTIONS and not names_a_time:
                return []  # not an answer: the form is rejected and the rules answer
            reader = {OFFER: self.read_offer, CHANNEL: self.read_channel,
                      SLOT: self.read_slot, ALIAS: self.read_alias,
                      CONTACT: self.read_contact}.get(requested)
            if reader is None:
                return []
            earlier = self.entity(SLOT)
            if requested in (ALIAS, CONTACT) and earlier and _SLOT_ID.match(earlier):
                self.set(SLOT, earlier)  # a time button pressed again: that time instead
                return self.events()
            value = self.entity(requested) or text
            skips_in_words = (requested == ALIAS or (requested == CONTACT and read_contact(
                text) == (None, None))) and _has_word(_words(text), SKIP_WORDS)
            if not self.entity(requested) and (intent == SKIP_INTENT or skips_in_words):
                value = SKIP_INTENT
            if reader(value):
                self.state.misses = 0
        if REQUESTED not in self.changes:
            self.prepare()
        return self.events()

    def entity(self, name: str) -> str | None:
        for item in (self.tracker.latest_message or {}).get("entities") or []:
            if item.get("entity") == name and item.get("value"):
                return str(item["value"])
        return None

    def miss(self, short: str, help_text: str, **variables: Any) -> bool:
        """An answer the form could not use: say so, and after repeated misses explain
        more (with the way out)."""
        self.state.misses += 1
        self.say(help_text if self.state.misses >= MISSES_BEFORE_HELP else short, **variables)
        return False

    # -- activation: which offer -----------------------------------------------------

    def start(self) -> None:
        if self.tracker.get_slot(STATUS) == RETRY:
            # Back after the time was just taken (or refused): the answers stay, and the
            # booking action has put the next free times into the state.
            self.set(STATUS, None)
            return
        for name in REQUIRED:
            if self.tracker.get_slot(name) is not None:
                self.set(name, None)
        self.set(STATUS, None)
        self.state = State()
        try:
            offers = self.bookable_offers()
        except PortalUnavailable as error:
            logger.warning("portal unavailable: %s", error)
            self.say("text_booking_unavailable")
            self.end()
            return
        if not offers:
            self.say("text_booking_no_offers")
            self.end()
            return
        message = self.tracker.latest_message or {}
        text = message.get("text") or ""
        topic = topic_of(text) if not text.startswith("/") else None
        topic = topic or self.tracker.get_slot("situation")
        fitting = [o for o in offers if topic in o.situations] if topic else offers
        if topic and not fitting:
            fitting = offers
        if len(fitting) == 1:
            self.choose(fitting[0])
        else:
            self.state.choices = [asdict(Choice.of(o)) for o in fitting]
        # "... om aftenen", "... tomorrow": the first times shown follow the wish.
        wish = times.read_wish(text) if not text.startswith("/") else None
        if wish is not None and (wish.period or wish.day or wish.after or wish.clock):
            self.refilter(wish)

    def bookable_offers(self) -> list[Offer]:
        """Virtual offers: in the citizen's municipality when it has any, else all."""
        municipality = self.tracker.get_slot("municipality")
        if municipality and municipality != "other":
            local = self.client.search(lang=self.lang, municipality=municipality,
                                       virtual=True, per_page=20).offers
            if local:
                return local
        return self.client.search(lang=self.lang, virtual=True, per_page=20).offers

    def choose(self, offer: Offer | Choice) -> None:
        choice = offer if isinstance(offer, Choice) else Choice.of(offer)
        self.set(OFFER, choice.slug)
        self.state.offer = asdict(choice)
        self.state.choices = []
        self.state.offered = []
        self.state.clear_filters()
        try:
            found = self.client.free_slots(choice.slug, times.today(),
                                           times.today() + dt.timedelta(days=HORIZON_DAYS - 1))
        except PortalUnavailable as error:
            logger.warning("portal unavailable: %s", error)
            self.unavailable(choice)
            return
        self.fetched = found
        self.state.channels = [c for c in CHANNELS if any(s.channel == c for s in found)]
        if not self.state.channels:
            self.no_times(choice)
        elif len(self.state.channels) == 1:
            self.set(CHANNEL, self.state.channels[0])

    def unavailable(self, choice: Choice | None) -> None:
        say(self.dispatcher, texts.text("text_booking_unavailable", self.lang),
            [web_link(choice, self.lang)])
        self.end()

    def no_times(self, choice: Choice) -> None:
        say(self.dispatcher, texts.text("text_booking_no_times", self.lang,
                                        offer=choice.title, days=HORIZON_DAYS),
            [web_link(choice, self.lang)])
        self.end()

    # -- the answers ----------------------------------------------------------------------

    def read_offer(self, value: str) -> bool:
        choices = [Choice(**c) for c in self.state.choices]
        found = [c for c in choices if c.slug == value]
        if not found:
            wish = times.read_wish(value)
            topic = topic_of(value)
            folded = _words(value)
            if wish.choice is not None and wish.choice < len(choices):
                found = [choices[wish.choice]]
            elif topic:
                found = [c for c in choices if topic in c.situations]
            else:
                found = [c for c in choices if folded and folded in _words(c.title)]
        if len(found) != 1:
            return self.miss("text_booking_offer_not_understood", "text_booking_offer_help")
        self.choose(found[0])
        return True

    def read_channel(self, value: str) -> bool:
        found = [c for c in channels_in(value) if c in self.state.channels]
        if value in self.state.channels:
            found = [value]
        if len(found) != 1:
            names = ", ".join(texts.text(f"text_channel_{c}", self.lang)
                              for c in self.state.channels)
            return self.miss("text_booking_channel_not_understood",
                             "text_booking_channel_help", channels=names)
        self.set(CHANNEL, found[0])
        self.state.offered = []
        self.state.clear_filters()
        return True

    def read_slot(self, value: str) -> bool:
        if _SLOT_ID.match(value):
            self.set(SLOT, value)
            return True
        if value in (times.LATER, times.ALL, *times.PERIODS):  # the buttons
            self.refilter(times.Wish(later=value == times.LATER,
                                     period=value if value in times.PERIODS else None),
                          keep=value == times.LATER)
            return True
        wish = times.read_wish(value)
        if wish.choice is not None and wish.choice < len(self.state.offered):
            self.set(SLOT, self.state.offered[wish.choice]["id"])
            return True
        if wish.clock:
            picked = self.pick_by_clock(wish)
            if picked:
                self.set(SLOT, picked)
                return True
        if wish.empty or (wish.choice is not None):
            return self.miss("text_booking_slot_not_understood", "text_booking_slot_help")
        self.refilter(wish, keep=wish.later and not (wish.period or wish.day or wish.after))
        return True

    def pick_by_clock(self, wish: times.Wish) -> str | None:
        """The one shown time at that clock time (on that day, if said); else None."""
        def fits(starts_at: dt.datetime) -> bool:
            moment = times.local(starts_at)
            return (moment.time().replace(second=0, microsecond=0) == wish.clock
                    and (wish.day is None or moment.date() == wish.day))

        shown = [o["id"] for o in self.state.offered
                 if fits(dt.datetime.fromisoformat(o["starts_at"]))]
        if len(shown) == 1:
            return shown[0]
        if wish.day is not None:
            try:
                found = [s.id for s in self.all_times() if fits(s.starts_at)]
            except PortalUnavailable:
                return None
            if len(found) == 1:
                return found[0]
        return None

    def refilter(self, wish: times.Wish, keep: bool = False) -> None:
        """Show other times: later than those shown, or as the citizen wished."""
        last = self.state.offered[-1]["starts_at"] if self.state.offered else None
        if not keep:
            self.state.clear_filters()
        if wish.later:
            self.state.after = last
        if wish.period:
            self.state.period = wish.period
        if wish.day:
            self.state.day = wish.day.isoformat()
        if wish.after:
            self.state.week = wish.after.isoformat()
        if wish.clock and not wish.period:
            self.state.clock = wish.clock.strftime("%H:%M")
        self.state.offered = []

    def read_alias(self, value: str) -> bool:
        if value == SKIP_INTENT:
            self.set(ALIAS, "")
            return True
        intent = ((self.tracker.latest_message or {}).get("intent") or {}).get("name")
        alias = clean_alias(value)
        if intent == "affirm" or not alias or value.startswith("/"):
            return self.miss("text_booking_alias_not_understood", "text_booking_alias_help")
        if _CPR.search(alias):
            return self.miss("text_booking_alias_cpr", "text_booking_alias_cpr")
        if _CONTROL.search(alias) or len(alias) > MAX_ALIAS:
            return self.miss("text_booking_alias_too_long", "text_booking_alias_too_long",
                             n=MAX_ALIAS)
        self.set(ALIAS, alias)
        return True

    def read_contact(self, value: str) -> bool:
        phone_session = self.get(CHANNEL) == "phone"
        if value == SKIP_INTENT:
            if phone_session:
                return self.miss("text_booking_phone_needed", "text_booking_phone_help")
            self.set(CONTACT, {"email": None, "phone": None})
            return True
        email, phone = read_contact(value)
        if phone_session and not phone:
            return self.miss("text_booking_phone_needed", "text_booking_phone_help")
        if not email and not phone:
            return self.miss("text_booking_contact_not_understood",
                             "text_booking_contact_help")
        self.set(CONTACT, {"email": email, "phone": phone})
        return True

    # -- the next question's times ---------------------------------------------------

    def all_times(self) -> list[FreeSlot]:
        """The free times of the chosen offer and channel (asked at most once per run)."""
        if self.fetched is None:
            first = times.today()
            self.fetched = self.client.free_slots(
                str(self.get(OFFER)), first, first + dt.timedelta(days=HORIZON_DAYS - 1),
                str(self.get(CHANNEL)))
        return [s for s in self.fetched if s.channel == self.get(CHANNEL)]

    def prepare(self) -> None:
        """When the next question is the time: the free times to show, by the filters."""
        if not (self.get(OFFER) and self.get(CHANNEL)) or self.get(SLOT):
            return
        if self.state.offered:
            return  # shown already (and still shown after an interruption)
        try:
            found = self.all_times()
        except PortalUnavailable as error:
            logger.warning("portal unavailable: %s", error)
            self.unavailable(self.state.choice)
            return
        if not found:
            choice = self.state.choice
            if choice:
                self.no_times(choice)
            else:
                self.end()
            return
        self.state.periods = [p for p in PERIOD_BUTTONS
                              if any(times.in_period(s.starts_at, p) for s in found)]
        shown = self.filtered(found)
        if not shown:
            self.state.notice = "no_later" if self.state.after else "no_match"
            self.state.clear_filters()
            shown = found
        self.state.offered = [{"id": s.id, "starts_at": s.starts_at.isoformat()}
                              for s in shown[:SHOWN]]

    def filtered(self, found: list[FreeSlot]) -> list[FreeSlot]:
        state = self.state
        after = dt.datetime.fromisoformat(state.after) if state.after else None
        day = dt.date.fromisoformat(state.day) if state.day else None
        week = dt.date.fromisoformat(state.week) if state.week else None
        clock = dt.time.fromisoformat(state.clock) if state.clock else None
        result = []
        for slot in found:
            moment = times.local(slot.starts_at)
            if after and slot.starts_at <= after:
                continue
            if day and moment.date() != day:
                continue
            if week and moment.date() < week:
                continue
            if clock and moment.time().replace(second=0, microsecond=0) != clock:
                continue
            if not times.in_period(slot.starts_at, state.period):
                continue
            result.append(slot)
        return result


# --- the questions ------------------------------------------------------------------


class AskBookingOffer(Action):
    def name(self) -> str:
        return "action_ask_booking_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        state = State.load(tracker.get_slot(STATE))
        buttons = [{"title": texts.text("text_booking_offer_button", lang, offer=c["title"],
                                        place=c["place"]) if c.get("place") else c["title"],
                    "payload": _payload("inform_booking", OFFER, c["slug"])}
                   for c in state.choices]
        dispatcher.utter_message(text=texts.text("text_ask_booking_offer", lang),
                                 buttons=buttons)
        return []


class AskBookingChannel(Action):
    def name(self) -> str:
        return "action_ask_booking_channel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        state = State.load(tracker.get_slot(STATE))
        choice = state.choice
        text = texts.text("text_ask_booking_channel", lang,
                          offer=choice.title if choice else "")
        if choice and choice.access == "referral" and choice.summary:
            text = f"{choice.summary} {text}"
        dispatcher.utter_message(text=text, buttons=[
            {"title": texts.text(f"text_channel_{c}_button", lang),
             "payload": _payload("inform_booking", CHANNEL, c)} for c in state.channels])
        return []


class AskBookingSlot(Action):
    """The free times as buttons, then "later" and the parts of the day."""

    def name(self) -> str:
        return "action_ask_booking_slot"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        state = State.load(tracker.get_slot(STATE))
        choice = state.choice
        channel = tracker.get_slot(CHANNEL) or ""
        parts = []
        if state.notice:
            parts.append(texts.text(f"text_booking_notice_{state.notice}", lang,
                                    days=HORIZON_DAYS))
        if choice and choice.access == "referral" and choice.summary and len(
                state.channels) == 1:
            parts.append(choice.summary)
        place = f" ({choice.place})" if choice and choice.place else ""
        parts.append(texts.text("text_ask_booking_slot", lang,
                                offer=(choice.title + place) if choice else "",
                                channel=texts.text(f"text_channel_{channel}", lang)
                                if channel in CHANNELS else channel))
        buttons = [{"title": times.format_moment(dt.datetime.fromisoformat(o["starts_at"]),
                                                 lang),
                    "payload": _payload("inform_booking", SLOT, o["id"])}
                   for o in state.offered]
        buttons.append({"title": texts.text("text_booking_later_button", lang),
                        "payload": _payload("inform_booking", SLOT, times.LATER)})
        for period in state.periods:
            if period != state.period:
                buttons.append({"title": texts.text(f"text_booking_{period}_button", lang),
                                "payload": _payload("inform_booking", SLOT, period)})
        if state.period or state.day or state.clock or state.week:
            buttons.append({"title": texts.text("text_booking_all_button", lang),
                            "payload": _payload("inform_booking", SLOT, times.ALL)})
        dispatcher.utter_message(text=" ".join(parts), buttons=buttons)
        if state.notice:
            state.notice = None  # said once
            return [SlotSet(STATE, state.dump())]
        return []


class AskBookingAlias(Action):
    def name(self) -> str:
        return "action_ask_booking_alias"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        slot = tracker.get_slot(SLOT)
        state = State.load(tracker.get_slot(STATE))
        when = _when(state, slot, lang)
        data = texts.message("text_ask_booking_alias", lang)
        text = data["text"]
        if when:
            text = texts.text("text_booking_chosen", lang, when=when) + " " + text
        dispatcher.utter_message(text=text, buttons=data.get("buttons") or [])
        return []


class AskBookingContact(Action):
    def name(self) -> str:
        return "action_ask_booking_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        name = ("text_ask_booking_phone" if tracker.get_slot(CHANNEL) == "phone"
                else "text_ask_booking_contact")
        data = texts.message(name, lang)
        dispatcher.utter_message(text=data["text"], buttons=data.get("buttons") or [])
        return []


def web_link(choice: Choice | None, lang: str) -> dict[str, str] | None:
    """Booking on the portal instead (when the chat cannot book): the offer's booking
    page, or its page; None when the portal's path for it was never seen."""
    if choice is None or not choice.web_path:
        return None
    data = texts.message("text_link_book_on_web", lang, offer=choice.title)["custom"]
    return {"title": data["title"], "text": data["text"], "url": choice.web_path}


def _when(state: State, slot_id: str | None, lang: str) -> str:
    """The chosen time as people read it, if it was one of those shown."""
    for item in state.offered:
        if item["id"] == slot_id:
            return times.format_moment(dt.datetime.fromisoformat(item["starts_at"]), lang)
    return ""


# --- booking --------------------------------------------------------------------------


class ActionBookSession(UsesPortal, Action):
    """After the form: book the chosen time through the API and say how to hold it."""

    def name(self) -> str:
        return "action_book_session"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        state = State.load(tracker.get_slot(STATE))
        choice = state.choice
        slot, channel = tracker.get_slot(SLOT), tracker.get_slot(CHANNEL)
        alias, contact = tracker.get_slot(ALIAS), tracker.get_slot(CONTACT)
        if not (choice and slot and channel and alias is not None and contact is not None):
            return [*reset_events(), SlotSet(STATUS, DONE)]  # the form said why already
        contact = contact if isinstance(contact, dict) else {}
        try:
            booked = self.client.book(slot, channel, alias=alias or None,
                                      email=contact.get("email"), phone=contact.get("phone"),
                                      lang=lang)
        except SlotTaken as taken:
            return self.again(dispatcher, lang, state, taken.next_slots, "taken")
        except BookingRefused as refused:
            return self.refused(dispatcher, lang, state, channel, refused)
        except PortalUnavailable as error:
            logger.warning("booking failed: %s", error)
            say(dispatcher, texts.text("text_booking_failed", lang), [web_link(choice, lang)])
            return [*reset_events(), SlotSet(STATUS, DONE)]
        logger.info("booked a session of %s (%s)", choice.slug, channel)
        self.confirm(dispatcher, lang, choice, booked, contact)
        return [*reset_events(), SlotSet(STATUS, DONE)]

    def confirm(self, dispatcher: CollectingDispatcher, lang: str, choice: Choice,
                booked: Any, contact: dict[str, Any]) -> None:
        when = times.format_moment(booked.starts_at, lang)
        channel = texts.text(f"text_channel_{booked.channel}", lang)
        text = texts.text("text_booking_done", lang, offer=choice.title, when=when,
                          channel=channel, reference=booked.reference)
        reminder = contact.get("email") or contact.get("phone")
        if reminder:
            text += " " + texts.text("text_booking_reminder", lang, contact=reminder)
        links = []
        if booked.session_path:
            data = texts.message(f"text_link_session_{booked.channel}", lang, when=when)
            links.append({**data["custom"], "url": booked.session_path})
        if booked.calendar_path:
            data = texts.message("text_link_calendar", lang)
            links.append({**data["custom"], "url": booked.calendar_path})
        say(dispatcher, text, links)
        # The code in a message of its own: it is shown this once.
        dispatcher.utter_message(text=texts.text("text_booking_code", lang, code=booked.code,
                                                 reference=booked.reference))

    def again(self, dispatcher: CollectingDispatcher, lang: str, state: State,
              next_slots: list[FreeSlot], notice: str) -> list[EventType]:
        """Ask for another time: the next free ones (the form asks again)."""
        if not next_slots:
            say(dispatcher, texts.text(f"text_booking_{notice}_none", lang),
                [web_link(state.choice, lang)])
            return [*reset_events(), SlotSet(STATUS, DONE)]
        state.clear_filters()
        state.notice = notice
        state.misses = 0
        state.offered = [{"id": s.id, "starts_at": s.starts_at.isoformat()}
                         for s in next_slots[:SHOWN]]
        return [SlotSet(SLOT, None), SlotSet(STATE, state.dump()), SlotSet(STATUS, RETRY)]

    def refused(self, dispatcher: CollectingDispatcher, lang: str, state: State,
                channel: str, refused: BookingRefused) -> list[EventType]:
        """The portal refused an answer (its message is in the citizen's language): ask
        that question again; a time that cannot be booked, with the next free times."""
        errors = refused.errors
        if "slot_id" in errors:
            found: list[FreeSlot] = []
            if state.choice:
                first = times.today()
                with contextlib.suppress(PortalUnavailable):  # then: book on the web
                    found = self.client.free_slots(
                        state.choice.slug, first,
                        first + dt.timedelta(days=HORIZON_DAYS - 1), channel)
            return self.again(dispatcher, lang, state, found, "unavailable")
        cleared = []
        if "alias" in errors:
            cleared.append(ALIAS)
        if "email" in errors or "phone" in errors:
            cleared.append(CONTACT)
        if not cleared:
            logger.warning("booking refused: %s", refused)
            say(dispatcher, texts.text("text_booking_failed", lang),
                [web_link(state.choice, lang)])
            return [*reset_events(), SlotSet(STATUS, DONE)]
        dispatcher.utter_message(text=" ".join(errors[k] for k in ("alias", "email", "phone")
                                               if k in errors))
        return [*(SlotSet(name, None) for name in cleared), SlotSet(STATUS, RETRY)]


class ActionBookingStopped(Action):
    """The citizen stopped the booking midway: nothing is booked, nothing is kept."""

    def name(self) -> str:
        return "action_booking_stopped"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        data = texts.message("text_booking_stopped", lang_of(tracker))
        dispatcher.utter_message(text=data["text"], buttons=data.get("buttons") or [])
        return [*reset_events(), SlotSet(STATUS, None)]
