""""Talk to a person": `handoff_form`, then `action_handoff` hands the chat to the portal.

The form asks, only what it does not know:

1. `handoff_municipality` — the conversation's municipality when it is in the catalogue;
2. `handoff_transcript` — may the conversation be sent along? The `share-chat-transcript`
   consent text from the API (purpose, information, from → to, what no means), "yes" /
   "no", nothing pre-chosen (the slot holds the text's id, or 0 for no);
3. `handoff_contact_method` — if nobody can take the chat now: phone, e-mail, or "I'll
   check the status page" (then no contact details);
4. `handoff_contact` — the number or the address (checked).

`action_handoff` builds the summary from the conversation (life situations, offers
shown, what was asked about: slots, intents and links — no free text of the citizen's)
and, only with consent, the transcript (the citizen's and the bot's messages; the code
messages left out), posts `POST /api/v1/handoffs` with the token, and says the portal's
`message`, the reference, the code (once) and the status page link. When a caseworker
takes the chat now (`live`), the conversation is paused (`ConversationPaused`) after the
message: the portal relays the citizen's messages to the caseworker and resumes Rasa
when they end the chat. The portal down: said plainly, with the ways that always work.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import forms, texts
from actions.actions import (
    OTHER,
    SITUATION_INTENTS,
    UsesPortal,
    lang_of,
    link,
    resolve_municipality,
    say,
)
from actions.portal import PortalClient, PortalUnavailable, Refused

logger = logging.getLogger(__name__)

FORM = "handoff_form"
REQUESTED = "requested_slot"
MUNICIPALITY, TRANSCRIPT, METHOD, CONTACT = ("handoff_municipality", "handoff_transcript",
                                             "handoff_contact_method", "handoff_contact")
REQUIRED = (MUNICIPALITY, TRANSCRIPT, METHOD, CONTACT)
STATE = "handoff_state"
STATUS_PAGE = "status"
MAX_SUMMARY = 4000
MAX_TRANSCRIPT = 20000
INTERRUPTIONS = frozenset({"crisis", "bot_challenge", "bot_capabilities"})
METHOD_WORDS = {"phone": ("telefon", "ring", "tlf", "phone", "call", "mobil"),
                "email": ("mail", "e-mail", "email"),
                STATUS_PAGE: ("status", "selv", "myself", "holder oje", "check",
                              "ingen kontakt", "no contact", "skip", "spring over")}
# Messages never put in a transcript: a code is shown once, only to the citizen.
_CODE_MESSAGE = re.compile(r"^(Din kode|Your code):", re.IGNORECASE)
_OFFER_PATH = re.compile(r"^/(tilbud|en/offers)/")


def reset_events() -> list[EventType]:
    return [SlotSet(name, None) for name in (*REQUIRED, STATE)]


class ValidateHandoffForm(UsesPortal, FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return HandoffFlow(self.client, dispatcher, tracker).run()


class HandoffFlow:
    def __init__(self, client: PortalClient, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.lang = lang_of(tracker)
        state = tracker.get_slot(STATE)
        self.state: dict[str, Any] = dict(state) if isinstance(state, dict) else {}
        self.changes: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        return self.changes[name] if name in self.changes else self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self.changes[name] = value

    def events(self) -> list[EventType]:
        self.changes[STATE] = self.state
        return [SlotSet(name, value) for name, value in self.changes.items()]

    def stop(self, text: str) -> list[EventType]:
        """End the form: `action_handoff` then says `text` (cancelled, portal down)."""
        self.state["outcome"] = text
        self.set(REQUESTED, None)
        return self.events()

    def run(self) -> list[EventType]:
        message = self.tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = (message.get("text") or "").strip()
        if self.tracker.active_loop_name != FORM:
            self.start()
        else:
            choice = forms.choice_entity(self.tracker)
            if choice is None and forms.wants_to_stop(text):
                return self.stop("cancelled")
            if choice is None and intent in INTERRUPTIONS:
                return []
            requested = self.tracker.get_slot(REQUESTED)
            value = choice if choice is not None else text
            reader = {MUNICIPALITY: self.read_municipality, TRANSCRIPT: self.read_transcript,
                      METHOD: self.read_method, CONTACT: self.read_contact}.get(requested)
            if reader is None:
                return []
            if reader(value, choice is not None):
                self.state["misses"] = 0
            else:
                self.state["misses"] = self.state.get("misses", 0) + 1
                kind = "help" if self.state["misses"] >= 2 else "not_understood"
                self.dispatcher.utter_message(text=texts.text(
                    f"text_intake_{kind}", self.lang,
                    hint=texts.text(f"text_intake_hint_{requested}", self.lang)))
        if REQUESTED not in self.changes:
            self.prepare()
        return self.events()

    def start(self) -> None:
        for name in REQUIRED:
            if self.tracker.get_slot(name) is not None:
                self.set(name, None)
        self.state = {}
        self.dispatcher.utter_message(text=texts.text("text_handoff_start", self.lang))
        for candidate in (self.tracker.get_slot("municipality"),
                          self.tracker.get_slot("intake_municipality")):
            if candidate and candidate != OTHER:
                found = resolve_municipality(candidate, self.lang, self.client)
                if found.slug and found.slug != OTHER:
                    self.set(MUNICIPALITY, found.slug)
                    break

    def prepare(self) -> None:
        """Before the transcript question: the consent text from the API."""
        if self.get(MUNICIPALITY) is None or self.get(TRANSCRIPT) is not None \
                or self.state.get("consent"):
            return
        try:
            found = self.client.consent_texts(self.get(MUNICIPALITY), self.lang)
        except PortalUnavailable as error:
            logger.warning("consent texts unavailable: %s", error)
            self.stop("unavailable")
            return
        text = next((t for t in found if t.transcript), None)
        if text is None:
            self.set(TRANSCRIPT, 0)  # no text to consent with: nothing is sent along
            return
        self.state["consent"] = {"id": text.id, "purpose": text.purpose,
                                 "info_types": list(text.info_types),
                                 "parties": list(text.parties), "text": text.text,
                                 "refusal": text.refusal}

    def read_municipality(self, value: str, pressed: bool) -> bool:
        found = resolve_municipality(value, self.lang, self.client)
        if found.slug and found.slug != OTHER:
            self.set(MUNICIPALITY, found.slug)
            self.set("municipality", found.slug)
            return True
        if found.slug == OTHER and found.name:
            self.dispatcher.utter_message(text=texts.text(
                "text_intake_municipality_not_covered", self.lang, name=found.name))
            self.state["misses"] = -1
            return False
        return False

    def read_transcript(self, value: str, pressed: bool) -> bool:
        consent = self.state.get("consent") or {}
        answer = value if value in (forms.YES, forms.NO) else forms.yes_or_no(value)
        if answer is None or not consent:
            return False
        self.set(TRANSCRIPT, int(consent["id"]) if answer == forms.YES else 0)
        return True

    def read_method(self, value: str, pressed: bool) -> bool:
        if value in METHOD_WORDS:
            found = [value]
        else:
            email, phone = forms.read_email(value), forms.read_phone(value)
            if email or phone:
                self.set(METHOD, "email" if email else "phone")
                self.set(CONTACT, {"email": email} if email else {"phone": phone})
                return True
            found = forms.matches(value, METHOD_WORDS)
        if len(found) != 1:
            return False
        self.set(METHOD, found[0])
        if found[0] == STATUS_PAGE:
            self.set(CONTACT, {})
        return True

    def read_contact(self, value: str, pressed: bool) -> bool:
        if pressed:
            return False
        if self.get(METHOD) == "email":
            email = forms.read_email(value)
            if email:
                self.set(CONTACT, {"email": email})
                return True
            return False
        phone = forms.read_phone(value)
        if phone:
            self.set(CONTACT, {"phone": phone})
            return True
        return False


class AskHandoff(UsesPortal):
    """Asks the form's open question (one Action class per slot)."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        name = f"text_ask_{self.slot}"
        data = texts.message(name, lang) if name in texts.responses() else {}
        custom = data.get("custom") or {}
        if self.slot == MUNICIPALITY:
            try:
                known = self.client.municipalities(lang)
            except PortalUnavailable:
                known = []
            buttons = [forms.button(m.name, m.slug) for m in known][:11]
            dispatcher.utter_message(text=data["text"], buttons=buttons)
        elif self.slot == TRANSCRIPT:
            state = tracker.get_slot(STATE) or {}
            consent = state.get("consent") or {}
            text = texts.text("text_handoff_consent", lang, purpose=consent.get("purpose", ""),
                              info="\n".join(f"– {i}" for i in consent.get("info_types", [])),
                              parties=" → ".join(consent.get("parties", [])),
                              text=" ".join(consent.get("text", "").split()),
                              refusal=" ".join(consent.get("refusal", "").split()))
            dispatcher.utter_message(text=text, buttons=[
                forms.button(custom["yes"], forms.YES), forms.button(custom["no"], forms.NO)])
        elif self.slot == METHOD:
            dispatcher.utter_message(text=data["text"], buttons=[
                forms.button(custom[k], k) for k in ("phone", "email", STATUS_PAGE)])
        else:
            method = tracker.get_slot(METHOD) or "phone"
            dispatcher.utter_message(text=texts.text(f"text_ask_intake_contact_{method}",
                                                     lang))
        return []


ASK_ACTIONS = {slot: type(f"Ask_{slot}", (AskHandoff, Action),
                          {"slot": slot, "__module__": __name__}) for slot in REQUIRED}


# --- the summary and the transcript ---------------------------------------------------


def summary(tracker: Tracker, lang: str, situation_names: dict[str, str]) -> str:
    """What a caseworker needs first: the life situations, the offers shown, what was
    asked about — from slots, intents and the bot's links, never the citizen's words."""
    situations: list[str] = []
    offers: list[str] = []
    topics: list[str] = []
    names = texts.message("text_handoff_topics", lang)["custom"]
    for event in tracker.events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") in ("situation", "intake_situations"):
            values = event.get("value")
            for value in values if isinstance(values, list) else [values]:
                if value and value not in situations:
                    situations.append(value)
        elif kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in SITUATION_INTENTS:
                value = SITUATION_INTENTS[intent]
                if value not in situations:
                    situations.append(value)
            elif intent in names and names[intent] not in topics:
                topics.append(names[intent])
        elif kind == "bot":
            custom = (event.get("data") or {}).get("custom") or {}
            for item in custom.get("links") or []:
                if _OFFER_PATH.match(str(item.get("url") or "")) and item.get("title") \
                        and item["title"] not in offers:
                    offers.append(str(item["title"]))
    none = names["none"]
    text = texts.text("text_handoff_summary", lang,
                      situations=", ".join(situation_names.get(s, s) for s in situations)
                      or none,
                      offers="; ".join(offers) or none, topics=", ".join(topics) or none)
    return text[:MAX_SUMMARY]


def transcript(tracker: Tracker, lang: str) -> str:
    """The citizen's and the bot's messages, in order (codes left out)."""
    who = texts.message("text_handoff_speakers", lang)["custom"]
    lines = []
    for event in tracker.events:
        kind = event.get("event")
        text = str(event.get("text") or "").strip()
        if kind == "user":
            if text.startswith("/"):
                text = _button_text(text)
            if text:
                lines.append(f"{who['citizen']}: {text}")
        elif kind == "bot" and text and not _CODE_MESSAGE.match(text):
            lines.append(f"{who['bot']}: {text}")
    joined = "\n".join(lines)
    return joined[-MAX_TRANSCRIPT:]


def _button_text(payload: str) -> str:
    """A button's payload as a short note ("[yes]")."""
    match = re.fullmatch(r"/(\w+)(\{.*\})?", payload)
    if not match:
        return ""
    try:
        values = [str(v) for v in json.loads(match.group(2) or "{}").values()]
    except ValueError:
        values = []
    return "[" + (", ".join(values) or match.group(1)) + "]"


# --- handing over ---------------------------------------------------------------------


class ActionHandoff(UsesPortal, Action):
    """After the form: post the handoff and say what happens now."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        state = tracker.get_slot(STATE) or {}
        outcome = state.get("outcome") if isinstance(state, dict) else None
        if outcome == "cancelled":
            dispatcher.utter_message(text=texts.text("text_handoff_cancelled", lang))
            return reset_events()
        municipality = tracker.get_slot(MUNICIPALITY)
        consent_id = tracker.get_slot(TRANSCRIPT)
        if outcome == "unavailable" or not municipality or consent_id is None:
            return self.unavailable(dispatcher, lang, reset_events())
        body = handoff_body(tracker, lang, self.client)
        try:
            handed = self.client.hand_over(body)
        except (PortalUnavailable, Refused) as error:
            logger.warning("handoff failed: %s", error)
            return self.unavailable(dispatcher, lang, reset_events())
        logger.info("chat handed over (live: %s)", handed.live)
        status = None
        if handed.status_path:
            data = texts.message("text_link_intake_status", lang)["custom"]
            status = {"title": data["title"], "text": data["text"], "url": handed.status_path}
        say(dispatcher, " ".join(p for p in (handed.message, texts.text(
            "text_handoff_reference", lang, reference=handed.reference)) if p), [status])
        dispatcher.utter_message(text=texts.text("text_intake_code", lang, code=handed.code,
                                                 reference=handed.reference))
        events = reset_events()
        if handed.live:
            events.append(ConversationPaused())
        return events

    def unavailable(self, dispatcher: CollectingDispatcher, lang: str,
                    events: list[EventType]) -> list[EventType]:
        data = texts.message("text_handoff_unavailable", lang)
        say(dispatcher, data["text"], [
            link(lang, "text_link_intake", self.client.intake_path(lang, ask=False)),
            *({**lk} for lk in (data.get("custom") or {}).get("links", []))])
        return events


def handoff_body(tracker: Tracker, lang: str, client: PortalClient) -> dict[str, Any]:
    """The `POST /api/v1/handoffs` body (the contract's fields)."""
    try:
        situation_names = client.situation_names(lang)
    except PortalUnavailable:
        situation_names = {}
    consent_id = int(tracker.get_slot(TRANSCRIPT) or 0)
    situations: list[str] = []
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "situation" \
                and event.get("value") and event["value"] not in situations:
            situations.append(event["value"])
    method = tracker.get_slot(METHOD)
    details = tracker.get_slot(CONTACT) or {}
    contact = ({"method": method, **details}
               if method in ("phone", "email") and details else None)
    return {
        "conversation_id": tracker.sender_id,
        "lang": lang,
        "municipality": tracker.get_slot(MUNICIPALITY),
        "situations": situations,
        "summary": summary(tracker, lang, situation_names),
        "transcript": transcript(tracker, lang) if consent_id else None,
        "transcript_consent_id": consent_id or None,
        "contact": contact,
    }
