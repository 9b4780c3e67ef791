"""The one-entrance intake in the chat: `intake_form`, its questions, consent and sending.

The same questions as the web form (helper pages `/en-indgang`), one at a time, in this
order, each asked only when not known yet:

1. `intake_asker` — who is asking: the citizen, a relative, a professional;
2. `intake_authority` — for a relative or a professional: power of attorney
   ("fuldmagt"), guardianship ("værgemål") or neither (the citizen: "none");
3. `intake_municipality` — the conversation's municipality when it is in the catalogue;
4. `intake_situations` — the life situations (the one described earlier already chosen),
   several, by button or in words;
5. `intake_story` — in their own words (the words they wrote earlier can be used);
6. `intake_goals` — what they would like to be different;
7. `intake_agencies` — agencies already involved (several, "none", "other": which);
8. `intake_contact_method`, `intake_contact`, `intake_contact_times` — how to be
   contacted (phone, e-mail, letter), the number / address (checked), and when;
9. `intake_needs` — accessibility needs (several, "none");
10. `intake_urgency`;
11. `intake_consents` — for each involved agency with a consent text, the text from the
    API (purpose, information, from → to, what no means), "yes" or "no", nothing
    pre-chosen. A relative or professional without authority is asked none: they are
    told the citizen must consent themselves;
12. `intake_review` — a short review, then "send".

`action_submit_intake` posts the intake (`POST /api/v1/intakes`, with the token: channel
"chat") and says the reference, the code (once, in a message of its own), what happens
next and the status page's link. Refused fields (400) are asked again.

Stopping ("stop", "annuller") asks first, then forgets every answer; nothing is sent.
Something else in the middle (a life situation, "hvad er en koordinerende
sagsbehandler?") pauses the form: it is answered, and "fortsæt" comes back to the same
question with every answer kept. Crisis is answered first, and the form asks again.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import forms, texts, times
from actions.actions import (
    OTHER,
    SITUATION_INTENTS,
    Guide,
    UsesPortal,
    _with_slots,
    lang_of,
    link,
    resolve_municipality,
    say,
)
from actions.portal import ConsentText, PortalClient, PortalUnavailable, Refused

logger = logging.getLogger(__name__)

FORM = "intake_form"
REQUESTED = "requested_slot"
ASKER, AUTHORITY, MUNICIPALITY, SITUATIONS, STORY, GOALS, AGENCIES = (
    "intake_asker", "intake_authority", "intake_municipality", "intake_situations",
    "intake_story", "intake_goals", "intake_agencies")
METHOD, CONTACT, TIMES, NEEDS, URGENCY, CONSENTS, REVIEW = (
    "intake_contact_method", "intake_contact", "intake_contact_times", "intake_needs",
    "intake_urgency", "intake_consents", "intake_review")
REQUIRED = (ASKER, AUTHORITY, MUNICIPALITY, SITUATIONS, STORY, GOALS, AGENCIES, METHOD,
            CONTACT, TIMES, NEEDS, URGENCY, CONSENTS, REVIEW)
STATE = "intake_state"
STATUS = "intake_status"
RETRY, DONE = "retry", "done"

MAX_TEXT = 4000  # as the portal's intake input: story 4000, goals 2000, others 300
MAX_GOALS = 2000
MAX_SHORT = 300
MAX_LANGUAGE = 60
MISSES_BEFORE_HELP = 2

# Answered by the rules, then the form asks again (crisis first).
INTERRUPTIONS = frozenset({"crisis", "bot_challenge", "bot_capabilities", "request_human"})
# Something else: when the message is no answer to the question, the form pauses, the
# rules answer it, and "fortsæt" comes back.
PAUSES = frozenset({*SITUATION_INTENTS, "ask_coordinator", "out_of_scope", "book_session",
                    "manage_booking"})
# Questions whose answer is free text: any message is an answer, except interruptions.
FREE_TEXT = (STORY, GOALS, TIMES)

ASKERS = {"self": ("mig selv", "mig", "jeg selv", "selv", "myself", "me", "for me",
                   "borgeren selv", "it is me", "it's me", "about me"),
          "relative": ("parorende", "relative", "familie", "family", "min son", "min datter",
                       "min mor", "min far", "min bror", "min soster", "min mand",
                       "min kone", "my son", "my daughter", "my mother", "my father",
                       "my brother", "my sister", "my husband", "my wife", "en ven",
                       "a friend", "min ven", "my friend"),
          "professional": ("fagperson", "professional", "medarbejder", "arbejder med",
                           "i work with", "laerer", "paedagog", "teacher", "social worker",
                           "kontaktperson", "my client", "min borger")}
AUTHORITIES = {"power_of_attorney": ("fuldmagt", "power of attorney", "proxy"),
               "guardianship": ("verge", "guardian"),
               "none": forms.NONE_WORDS + ("ingen af delene", "hverken", "neither")}
AGENCY_WORDS = {
    "jobcentre": ("jobcent", "job cent", "job-cent", "a-kasse"),
    "uu": ("uu", "ungdommens uddannelsesvejledning", "uddannelsesvejled", "youth guidance"),
    "psychiatry": ("psykiatri", "psykiater", "psychiatr", "distriktspsykiatri"),
    "doctor": ("lege", "egen lege", "doctor", "gp", "general practitioner"),
    "addiction": ("misbrug", "rusmiddel", "alkoholbehandl", "stofbehandl", "addiction",
                  "drug treatment", "alcohol treatment", "substance"),
    "school": ("skole", "school", "uddannelsessted", "gymnasi"),
    "other": ("andet", "andre", "anden", "other", "something else"),
}
AGENCIES_ORDER = tuple(AGENCY_WORDS)
METHOD_WORDS = {"phone": ("telefon", "ring", "tlf", "phone", "call", "mobil"),
                "email": ("mail", "e-mail", "email"),
                "letter": ("brev", "letter", "by post", "med posten", "papir", "paper")}
NEED_WORDS = {"sign-language": ("tegnsprog", "sign language", "sign-language"),
              "interpreter": ("tolk", "interpreter", "oversaet", "translat"),
              "easy-read": ("let lest", "letlest", "let at lese", "easy read", "easy-read",
                            "simple language", "enkelt sprog", "enkle ord", "plain language"),
              "bring-relative": ("parorende", "bisidder", "tage en med", "tage nogen med",
                                 "have en med", "relative with me", "someone with me",
                                 "bring a relative", "bring someone", "bring a friend")}
NEEDS_ORDER = ("interpreter", "sign-language", "easy-read", "bring-relative")
URGENCY_WORDS = {"today": ("i dag", "idag", "today", "hurtigst muligt", "med det samme",
                           "as soon as possible", "right away", "now"),
                 "this-week": ("denne uge", "i ugen", "this week", "within a week", "snart",
                               "soon", "inden for en uge", "et par dage", "a few days"),
                 "no-hurry": ("haster ikke", "ingen hast", "ikke travlt", "no hurry",
                              "not urgent", "no rush", "when it suits", "nar det passer")}
ANY_TIME_WORDS = ("nar som helst", "hele dagen", "any time", "anytime", "whenever",
                  "ligemeget", "lige meget", "det er lige meget", "doesn't matter",
                  "does not matter")


@dataclass
class State:
    """What the form remembers between questions (slot `intake_state`)."""

    started: bool = False
    picked: list[str] = field(default_factory=list)  # the open multiple-choice answer
    other: bool = False  # "other" agency chosen: which one is asked
    agencies_other: str = ""
    language: bool = False  # an interpreter chosen: which language is asked
    interpreter_language: str = ""
    consent_queue: list[dict[str, Any]] = field(default_factory=list)
    consents_loaded: bool = False
    given: list[int] = field(default_factory=list)
    answered: list[dict[str, Any]] = field(default_factory=list)  # [{"title", "yes"}]
    citizen_must_consent: bool = False
    cancelling: bool = False
    misses: int = 0
    notice: str | None = None

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


def reset_events() -> list[EventType]:
    """Forget the intake (its answers hold personal data) once sent or stopped."""
    return [SlotSet(name, None) for name in (*REQUIRED, STATE)]


def labels(lang: str) -> dict[str, dict[str, str]]:
    return texts.message("text_intake_labels", lang)["custom"]


def needs_citizens_consent(asker: str | None, authority: str | None) -> bool:
    """As the portal's rule: someone else without power of attorney or guardianship."""
    return asker not in (None, "self") and authority in (None, "none")


# --- the form's validation ----------------------------------------------------------------


class ValidateIntakeForm(UsesPortal, FormValidationAction):
    """Reads each answer of the intake form and prepares the next question."""

    def name(self) -> str:
        return "validate_intake_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return IntakeFlow(self.client, dispatcher, tracker).run()


class IntakeFlow:
    """One run of the form's validation: what changes, and what is said."""

    def __init__(self, client: PortalClient, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.lang = lang_of(tracker)
        self.state = State.load(tracker.get_slot(STATE))
        self.changes: dict[str, Any] = {}

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
        self.set(REQUESTED, None)

    def next_missing(self) -> str | None:
        return next((name for name in REQUIRED if self.get(name) is None), None)

    # -- the run ---------------------------------------------------------------------

    def run(self) -> list[EventType]:
        message = self.tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = (message.get("text") or "").strip()
        if self.tracker.active_loop_name != FORM:
            self.start()
        else:
            choice = forms.choice_entity(self.tracker)
            if self.state.cancelling:
                return self.confirm_cancel(choice or text)
            if choice is None and forms.wants_to_stop(text):
                self.state.cancelling = True
                return self.events()
            requested = self.tracker.get_slot(REQUESTED)
            # "ring til mig" reads as asking for a person; to "how may we contact you?"
            # it is the answer.
            answers_method = (intent == "request_human" and requested == METHOD
                              and forms.matches(text, METHOD_WORDS))
            if choice is None and intent in INTERRUPTIONS and not answers_method:
                return []  # not an answer: the rules answer (crisis first), the form asks again
            if choice is None and intent == "resume_intake":
                return self.events()  # "fortsæt" while it goes on: the question again
            value = choice if choice is not None else text
            reader = self.readers().get(requested)
            if reader is None:
                return []
            if requested in FREE_TEXT and choice is None and intent in PAUSES - set(
                    SITUATION_INTENTS):
                return []  # "hvad er en koordinerende sagsbehandler?": paused, answered
            understood = reader(value, choice is not None)
            if understood:
                self.state.misses = 0
            elif choice is None and intent in PAUSES:
                return []  # something else: the form pauses and the rules answer
            else:
                self.miss(requested)
        if REQUESTED not in self.changes:
            self.prepare()
        return self.events()

    def readers(self) -> dict[str, Any]:
        return {ASKER: self.read_asker, AUTHORITY: self.read_authority,
                MUNICIPALITY: self.read_municipality, SITUATIONS: self.read_situations,
                STORY: self.read_story, GOALS: self.read_goals, AGENCIES: self.read_agencies,
                METHOD: self.read_method, CONTACT: self.read_contact, TIMES: self.read_times,
                NEEDS: self.read_needs, URGENCY: self.read_urgency,
                CONSENTS: self.read_consent, REVIEW: self.read_review}

    def miss(self, requested: str) -> None:
        """An answer the form cannot use: say why in plain words (more after two)."""
        self.state.misses += 1
        kind = "help" if self.state.misses >= MISSES_BEFORE_HELP else "not_understood"
        self.say(f"text_intake_{kind}", hint=texts.text(f"text_intake_hint_{requested}",
                                                         self.lang))

    # -- starting, resuming, stopping --------------------------------------------------

    def start(self) -> None:
        if self.tracker.get_slot(STATUS) == RETRY or self.state.started:
            # Back after a pause, a refused answer or the portal being down: every answer
            # is kept, the open question is asked again.
            self.set(STATUS, None)
            self.state.cancelling = False
            self.state.misses = 0
            if self.get(REVIEW) is not None:
                self.set(REVIEW, None)
            self.say("text_intake_resumed")
            self.prepare()
            return
        for name in REQUIRED:
            if self.tracker.get_slot(name) is not None:
                self.set(name, None)
        self.set(STATUS, None)
        self.state = State(started=True)
        intake = self.client.intake_path(self.lang)
        say(self.dispatcher, texts.text("text_intake_start", self.lang),
            [link(self.lang, "text_link_intake_web", intake)])
        # What the conversation already knows: the place, the situation, a relative.
        municipality = self.tracker.get_slot("municipality")
        if municipality and municipality != OTHER:
            found = resolve_municipality(municipality, self.lang, self.client)
            if found.slug and found.slug != OTHER:
                self.set(MUNICIPALITY, found.slug)
        situation = self.tracker.get_slot("situation")
        if situation:
            self.state.picked = [situation]
        self.prepare()

    def confirm_cancel(self, answer: str) -> list[EventType]:
        self.state.cancelling = False
        decided = answer if answer in (forms.YES, forms.NO) else forms.yes_or_no(answer)
        if decided == forms.YES or forms.wants_to_stop(answer):
            self.say("text_intake_cancelled")
            self.state = State()
            self.changes.update({name: None for name in REQUIRED})
            self.set(STATUS, DONE)
            self.end()
            return self.events()
        self.say("text_intake_not_cancelled")
        self.prepare()
        return self.events()

    # -- the answers ----------------------------------------------------------------------

    def read_asker(self, value: str, pressed: bool) -> bool:
        found = [value] if value in ASKERS else forms.matches(value, ASKERS)
        if not found and forms.entity_value(self.tracker, "relation"):
            found = ["relative"]
        if len(found) != 1 and not (found and found[0] == "relative"):
            return False
        self.set(ASKER, found[0])
        if found[0] == "self":
            self.set(AUTHORITY, "none")
        return True

    def read_authority(self, value: str, pressed: bool) -> bool:
        if value in AUTHORITIES:
            found = [value]
        else:
            found = forms.matches(value, {k: v for k, v in AUTHORITIES.items() if k != "none"})
            if not found and forms.has_word(forms.words(value), AUTHORITIES["none"]):
                found = ["none"]
        if len(found) != 1:
            return False
        self.set(AUTHORITY, found[0])
        return True

    def read_municipality(self, value: str, pressed: bool) -> bool:
        found = resolve_municipality(value, self.lang, self.client)
        if found.slug and found.slug != OTHER:
            self.set(MUNICIPALITY, found.slug)
            self.set("municipality", found.slug)
            return True
        if found.slug == OTHER and found.name:
            self.state.notice = "municipality_not_covered"
            self.say("text_intake_municipality_not_covered", name=found.name)
            self.state.misses = 0
            return True  # said why; asked again
        return False

    def situation_names(self) -> dict[str, str]:
        try:
            return self.client.situation_names(self.lang)
        except PortalUnavailable:
            return {}

    def read_situations(self, value: str, pressed: bool) -> bool:
        names = self.situation_names()
        if value == forms.DONE or (not pressed and forms.is_exactly(
                forms.words(value), forms.DONE_WORDS + forms.YES_WORDS)):
            self.set(SITUATIONS, list(self.state.picked))
            self.state.picked = []
            return True
        if pressed and value in names:
            if value not in self.state.picked:
                self.state.picked.append(value)
            return True
        folded = forms.words(value)
        intent = ((self.tracker.latest_message or {}).get("intent") or {}).get("name")
        found = [slug for slug, name in names.items() if forms.has_word(folded, (name,))
                 or forms.has_word(folded, (slug.replace("-", " "),))]
        if intent in SITUATION_INTENTS and SITUATION_INTENTS[intent] not in found:
            found.append(SITUATION_INTENTS[intent])
        if not found and forms.is_exactly(folded, forms.NONE_WORDS):
            self.set(SITUATIONS, list(self.state.picked))
            self.state.picked = []
            return True
        if not found:
            return False
        # Written: what they name is the answer (with what was chosen before).
        self.set(SITUATIONS, list(dict.fromkeys([*self.state.picked, *found])))
        self.state.picked = []
        return True

    def read_story(self, value: str, pressed: bool) -> bool:
        if pressed and value == "earlier" and self.tracker.get_slot("search_text"):
            value, pressed = self.tracker.get_slot("search_text"), False
        story = forms.clean_text(value, MAX_TEXT + 1)
        if pressed or len(story) < 2:
            return False
        if len(story) > MAX_TEXT:
            self.say("text_intake_too_long", n=MAX_TEXT)
            self.state.misses = 0
            return True
        self.set(STORY, story)
        return True

    def read_goals(self, value: str, pressed: bool) -> bool:
        goals = forms.clean_text(value, MAX_GOALS + 1)
        if pressed or len(goals) < 2:
            return False
        if len(goals) > MAX_GOALS:
            self.say("text_intake_too_long", n=MAX_GOALS)
            self.state.misses = 0
            return True
        self.set(GOALS, goals)
        return True

    def read_agencies(self, value: str, pressed: bool) -> bool:
        if self.state.other:
            other = forms.clean_text(value, MAX_SHORT + 1)
            if pressed or len(other) < 2 or len(other) > MAX_SHORT:
                return False
            self.state.other = False
            self.state.agencies_other = other
            return self.finish_multi(AGENCIES)
        return self.read_multi(AGENCIES, value, pressed, AGENCY_WORDS)

    def read_needs(self, value: str, pressed: bool) -> bool:
        if self.state.language:
            language = forms.clean_text(value, MAX_LANGUAGE + 1)
            if pressed or len(language) < 2 or len(language) > MAX_LANGUAGE:
                return False
            self.state.language = False
            self.state.interpreter_language = language
            return self.finish_multi(NEEDS)
        return self.read_multi(NEEDS, value, pressed, NEED_WORDS)

    def read_multi(self, slot: str, value: str, pressed: bool,
                   options: dict[str, tuple[str, ...]]) -> bool:
        """Several choices: each button adds one (the question is asked again with what
        is chosen), "done" ends; written, what they name is the whole answer."""
        folded = forms.words(value)
        if value in (forms.DONE, forms.NONE) or (not pressed and not forms.matches(
                value, options) and forms.is_exactly(folded, forms.DONE_WORDS
                                                     + forms.NONE_WORDS)):
            if value == forms.NONE or (not pressed and forms.is_exactly(
                    folded, forms.NONE_WORDS) and not self.state.picked):
                self.state.picked = []
            return self.finish_multi(slot)
        if pressed:
            if value not in options:
                return False
            if value not in self.state.picked:
                self.state.picked.append(value)
            if slot == AGENCIES and value == "other":
                self.state.other = True
            return True
        found = forms.matches(value, options)
        if slot == NEEDS and "sign-language" in found and not forms.has_word(
                forms.words(forms.words(value).replace("tegnsprogstolk", "")),
                ("tolk", "interpreter")):
            found = [f for f in found if f != "interpreter"]
        if not found:
            return False
        self.state.picked = list(dict.fromkeys([*self.state.picked, *found]))
        if slot == AGENCIES and "other" in found:
            self.state.other = True
            return True
        return self.finish_multi(slot)

    def finish_multi(self, slot: str) -> bool:
        if slot == NEEDS and "interpreter" in self.state.picked \
                and not self.state.interpreter_language:
            self.state.language = True  # which language, then the answer is complete
            return True
        order = AGENCIES_ORDER if slot == AGENCIES else NEEDS_ORDER
        self.set(slot, [k for k in order if k in self.state.picked])
        self.state.picked = []
        return True

    def read_method(self, value: str, pressed: bool) -> bool:
        if value in METHOD_WORDS:
            self.set(METHOD, value)
            return True
        # A number or an address written straight away is the answer to both questions.
        email, phone = forms.read_email(value), forms.read_phone(value)
        if email or phone:
            self.set(METHOD, "email" if email else "phone")
            self.set(CONTACT, {"email": email} if email else {"phone": phone})
            return True
        found = forms.matches(value, METHOD_WORDS)
        if len(found) != 1:
            return False
        self.set(METHOD, found[0])
        return True

    def read_contact(self, value: str, pressed: bool) -> bool:
        method = self.get(METHOD)
        if pressed:
            return False
        if method == "phone":
            phone = forms.read_phone(value)
            if phone:
                self.set(CONTACT, {"phone": phone})
                return True
        elif method == "email":
            email = forms.read_email(value)
            if email:
                self.set(CONTACT, {"email": email})
                return True
        elif method == "letter":
            address = forms.read_address(value)
            if address:
                self.set(CONTACT, {"address": address})
                return True
        return False

    def read_times(self, value: str, pressed: bool) -> bool:
        if value == "any" or forms.has_word(forms.words(value), ANY_TIME_WORDS):
            self.set(TIMES, "")
            return True
        when = forms.clean_text(value, MAX_SHORT + 1)
        if pressed or len(when) < 2 or len(when) > MAX_SHORT:
            return False
        self.set(TIMES, when)
        return True

    def read_urgency(self, value: str, pressed: bool) -> bool:
        found = [value] if value in URGENCY_WORDS else forms.matches(value, URGENCY_WORDS)
        if len(found) != 1:
            return False
        self.set(URGENCY, found[0])
        return True

    def read_consent(self, value: str, pressed: bool) -> bool:
        if not self.state.consent_queue:
            return False
        answer = value if value in (forms.YES, forms.NO) else forms.yes_or_no(value)
        if answer is None:
            return False
        text = self.state.consent_queue.pop(0)
        if answer == forms.YES:
            self.state.given.append(int(text["id"]))
        self.state.answered.append({"title": text["title"], "yes": answer == forms.YES})
        if not self.state.consent_queue:
            self.set(CONSENTS, list(self.state.given))
        return True

    def read_review(self, value: str, pressed: bool) -> bool:
        answer = value if value in (forms.YES, forms.NO) else forms.yes_or_no(value)
        if answer == forms.YES:
            self.set(REVIEW, "send")
            return True
        if answer == forms.NO:
            self.state.cancelling = True
            return True
        return False

    # -- the next question -------------------------------------------------------------

    def prepare(self) -> None:
        """What the next question needs: the consent texts (or none to ask)."""
        if self.next_missing() != CONSENTS or self.state.consents_loaded:
            return
        agencies = self.get(AGENCIES) or []
        if needs_citizens_consent(self.get(ASKER), self.get(AUTHORITY)):
            self.state.citizen_must_consent = True
            self.state.consents_loaded = True
            self.set(CONSENTS, [])
            self.say("text_intake_citizen_must_consent")
            return
        try:
            found = self.client.consent_texts(self.get(MUNICIPALITY), self.lang)
        except PortalUnavailable as error:
            logger.warning("consent texts unavailable: %s", error)
            say(self.dispatcher, texts.text("text_intake_unavailable", self.lang),
                [link(self.lang, "text_link_intake",
                      self.client.intake_path(self.lang, ask=False))])
            self.end()  # every answer is kept: "fortsæt" tries again
            return
        names = labels(self.lang)["agencies"]
        queue = [consent_entry(t, names.get(t.agency or "", t.agency or ""))
                 for t in sorted(found, key=lambda t: AGENCIES_ORDER.index(t.agency)
                                 if t.agency in AGENCIES_ORDER else len(AGENCIES_ORDER))
                 if t.agency and t.agency in agencies and not t.transcript]
        self.state.consents_loaded = True
        self.state.consent_queue = queue
        self.state.given = []
        self.state.answered = []
        if not queue:
            self.set(CONSENTS, [])


def consent_entry(text: ConsentText, title: str) -> dict[str, Any]:
    return {"id": text.id, "title": title, "purpose": text.purpose,
            "info_types": list(text.info_types), "parties": list(text.parties),
            "text": text.text, "refusal": text.refusal}


# --- the questions -----------------------------------------------------------------------


class AskIntake(UsesPortal):
    """Asks the form's open question (one Action class per slot: `action_ask_<slot>`)."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        state = State.load(tracker.get_slot(STATE))
        if state.cancelling:
            data = texts.message("text_intake_confirm_cancel", lang)
            dispatcher.utter_message(text=data["text"], buttons=[
                forms.button(data["custom"]["yes"], forms.YES),
                forms.button(data["custom"]["no"], forms.NO)])
            return []
        text, buttons = self.question(lang, tracker, state)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []

    def question(self, lang: str, tracker: Tracker,
                 state: State) -> tuple[str, list[dict[str, str]]]:
        names = labels(lang)
        name = f"text_ask_{self.slot}"
        data = texts.message(name, lang) if name in texts.responses() else {}
        text = data.get("text", "")
        slot = self.slot
        if slot == ASKER:
            return text, [forms.button(names["asker"][k], k) for k in ASKERS]
        if slot == AUTHORITY:
            return text, [forms.button(names["authority"][k], k) for k in AUTHORITIES]
        if slot == MUNICIPALITY:
            try:
                known = self.client.municipalities(lang)
            except PortalUnavailable:
                known = []
            return text, [forms.button(m.name, m.slug) for m in known][:11]
        if slot == SITUATIONS:
            try:
                all_names = self.client.situation_names(lang)
            except PortalUnavailable:
                all_names = {}
            if state.picked:
                chosen = ", ".join(all_names.get(s, s) for s in state.picked)
                text = texts.text("text_intake_chosen", lang, chosen=chosen) + " " + text
            done = texts.message("text_intake_done_button", lang)["text"]
            return text, [forms.button(done, forms.DONE)] + [
                forms.button(name, slug) for slug, name in all_names.items()
                if slug not in state.picked]
        if slot == STORY:
            earlier = tracker.get_slot("search_text")
            if earlier:
                data = texts.message("text_ask_intake_story_earlier", lang,
                                     earlier=earlier[:300])
                return data["text"], [forms.button(data["custom"]["use"], "earlier")]
            return text, []
        if slot == AGENCIES:
            if state.other:
                return texts.text("text_ask_intake_agencies_other", lang), []
            return self.multi(lang, text, state, names["agencies"], AGENCIES_ORDER)
        if slot == NEEDS:
            if state.language:
                return texts.text("text_ask_intake_interpreter_language", lang), []
            return self.multi(lang, text, state, names["needs"], NEEDS_ORDER)
        if slot == METHOD:
            return text, [forms.button(names["contact_method"][k], k) for k in METHOD_WORDS]
        if slot == CONTACT:
            method = tracker.get_slot(METHOD) or "phone"
            return texts.text(f"text_ask_intake_contact_{method}", lang), []
        if slot == TIMES:
            return text, [forms.button(data["custom"]["any"], "any")]
        if slot == URGENCY:
            return text, [forms.button(names["urgency"][k], k) for k in URGENCY_WORDS]
        if slot == CONSENTS:
            return consent_question(lang, state)
        if slot == REVIEW:
            return review(lang, tracker, state, self.client), [
                forms.button(data["custom"]["send"], forms.YES),
                forms.button(data["custom"]["stop"], forms.NO)]
        return text, []

    @staticmethod
    def multi(lang: str, text: str, state: State, names: dict[str, str],
              order: tuple[str, ...]) -> tuple[str, list[dict[str, str]]]:
        if state.picked:
            chosen = ", ".join(names[k] for k in order if k in state.picked)
            text = texts.text("text_intake_chosen", lang, chosen=chosen) + " " + texts.text(
                "text_intake_more", lang)
            first = [forms.button(texts.text("text_intake_done_button", lang), forms.DONE)]
        else:
            first = [forms.button(texts.text("text_intake_none_button", lang), forms.NONE)]
        return text, first + [forms.button(names[k], k) for k in order
                              if k not in state.picked]


def consent_question(lang: str, state: State) -> tuple[str, list[dict[str, str]]]:
    """One consent text: purpose, information, from → to, the text, what no means."""
    item = state.consent_queue[0] if state.consent_queue else None
    data = texts.message("text_ask_intake_consents", lang)
    if item is None:
        return data["text"], []
    parties = item["parties"]
    between = " ↔ ".join(parties) if parties else ""
    text = texts.text("text_intake_consent", lang, title=item["title"],
                      purpose=item["purpose"],
                      info="\n".join(f"– {i}" for i in item["info_types"]),
                      parties=between, text=" ".join(item["text"].split()),
                      refusal=" ".join(item["refusal"].split()))
    return text, [forms.button(data["custom"]["yes"], forms.YES),
                  forms.button(data["custom"]["no"], forms.NO)]


def review(lang: str, tracker: Tracker, state: State, client: PortalClient) -> str:
    """The intake in a few lines, before it is sent."""
    names = labels(lang)
    try:
        situation_names = client.situation_names(lang)
    except PortalUnavailable:
        situation_names = {}
    municipality = tracker.get_slot(MUNICIPALITY)
    with contextlib.suppress(PortalUnavailable):
        municipality = next((m.name for m in client.municipalities(lang)
                             if m.slug == municipality), municipality)
    asker = names["asker"].get(tracker.get_slot(ASKER) or "", "")
    authority = tracker.get_slot(AUTHORITY)
    if tracker.get_slot(ASKER) != "self" and authority:
        asker += f" ({names['authority'].get(authority, '').lower()})"
    contact = tracker.get_slot(CONTACT) or {}
    how = names["contact_method"].get(tracker.get_slot(METHOD) or "", "")
    detail = contact.get("phone") or contact.get("email") or contact.get("address") or ""
    when = tracker.get_slot(TIMES)
    agencies = [names["agencies"][a] for a in tracker.get_slot(AGENCIES) or []
                if a != "other"]
    if state.agencies_other:
        agencies.append(state.agencies_other)
    none = names["none"]
    if state.citizen_must_consent:
        consents = texts.text("text_intake_review_citizen_consents", lang)
    elif state.answered:
        consents = "; ".join(f"{a['title']}: {names['yes'] if a['yes'] else names['no']}"
                             for a in state.answered)
    else:
        consents = none
    return texts.text(
        "text_intake_review", lang, asker=asker, municipality=municipality or "",
        situations=", ".join(situation_names.get(s, s)
                             for s in tracker.get_slot(SITUATIONS) or []) or none,
        story=_short(tracker.get_slot(STORY)), goals=_short(tracker.get_slot(GOALS)),
        agencies=", ".join(agencies) or none,
        contact=f"{how}: {detail}" + (f" ({when})" if when else ""),
        needs=", ".join(names["needs"][n] + (f" ({state.interpreter_language})"
                                              if n == "interpreter"
                                              and state.interpreter_language else "")
                        for n in tracker.get_slot(NEEDS) or []) or none,
        urgency=names["urgency"].get(tracker.get_slot(URGENCY) or "", ""),
        consents=consents)


def _short(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ask_class(slot: str) -> type:
    return type(f"Ask_{slot}", (AskIntake, Action), {"slot": slot, "__module__": __name__})


ASK_ACTIONS = {slot: _ask_class(slot) for slot in REQUIRED}


# --- sending ---------------------------------------------------------------------------

# The portal's field names (400 errors) -> the questions asked again.
FIELDS = {"asker": (ASKER, AUTHORITY), "authority": (AUTHORITY,),
          "municipality": (MUNICIPALITY,), "situations": (SITUATIONS,), "story": (STORY,),
          "goals": (GOALS,), "agencies": (AGENCIES,), "agencies_other": (AGENCIES,),
          "contact": (METHOD, CONTACT, TIMES), "needs": (NEEDS,), "urgency": (URGENCY,),
          "consents": (CONSENTS,)}


def intake_body(tracker: Tracker) -> dict[str, Any]:
    """The `POST /api/v1/intakes` body, from the form's answers (the contract's fields)."""
    state = State.load(tracker.get_slot(STATE))
    contact = {"method": tracker.get_slot(METHOD), **(tracker.get_slot(CONTACT) or {})}
    if tracker.get_slot(TIMES):
        contact["times"] = tracker.get_slot(TIMES)
    if state.interpreter_language and "interpreter" in (tracker.get_slot(NEEDS) or []):
        contact["interpreter_language"] = state.interpreter_language
    body: dict[str, Any] = {
        "lang": lang_of(tracker),
        "municipality": tracker.get_slot(MUNICIPALITY),
        "asker": tracker.get_slot(ASKER),
        "authority": tracker.get_slot(AUTHORITY) or "none",
        "situations": list(tracker.get_slot(SITUATIONS) or []),
        "story": tracker.get_slot(STORY) or "",
        "goals": tracker.get_slot(GOALS) or "",
        "agencies": list(tracker.get_slot(AGENCIES) or []),
        "contact": contact,
        "needs": list(tracker.get_slot(NEEDS) or []),
        "urgency": tracker.get_slot(URGENCY),
        "consents": [int(i) for i in tracker.get_slot(CONSENTS) or []],
    }
    if "other" in body["agencies"] and state.agencies_other:
        body["agencies_other"] = state.agencies_other
    return body


class ActionSubmitIntake(UsesPortal, Action):
    """After the form: send the intake, or say why nothing was sent."""

    def name(self) -> str:
        return "action_submit_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        if tracker.get_slot(REVIEW) != "send":
            return [SlotSet(STATUS, DONE)]  # stopped, or the form said why already
        body = intake_body(tracker)
        try:
            submitted = self.client.submit_intake(body)
        except Refused as refused:
            return self.refused(dispatcher, lang, refused.errors)
        except PortalUnavailable as error:
            logger.warning("intake not sent: %s", error)
            say(dispatcher, texts.text("text_intake_send_failed", lang),
                [link(lang, "text_link_intake", self.client.intake_path(lang, ask=False))],
                buttons=[resume_button(lang)])
            return [SlotSet(REVIEW, None), SlotSet(STATUS, DONE)]
        logger.info("intake sent from the chat (%s)", submitted.status)
        self.confirm(dispatcher, lang, submitted, body)
        return [*reset_events(), SlotSet(STATUS, DONE)]

    def confirm(self, dispatcher: CollectingDispatcher, lang: str, submitted: Any,
                body: dict[str, Any]) -> None:
        names = labels(lang)
        team = submitted.team or texts.text("text_intake_the_municipality", lang)
        parts = [texts.text("text_intake_sent", lang, team=team,
                            reference=submitted.reference)]
        if submitted.status == "awaiting_consent":
            parts.append(texts.text("text_intake_next_awaiting_consent", lang))
        else:
            due = (format_date(times.local(submitted.contact_due_at).date(),
                               "EEEE d. MMMM" if lang == "da" else "EEEE d MMMM",
                               locale=lang) if submitted.contact_due_at else "")
            how = names["contact_method_by"].get(body["contact"].get("method") or "", "")
            name = "text_intake_next_due" if due else "text_intake_next"
            parts.append(texts.text(name, lang, due=due, how=how))
        status = None
        if submitted.status_path:
            data = texts.message("text_link_intake_status", lang)["custom"]
            status = {"title": data["title"], "text": data["text"],
                      "url": submitted.status_path}
        say(dispatcher, " ".join(parts), [status])
        # The code in a message of its own: it is shown this once.
        dispatcher.utter_message(text=texts.text("text_intake_code", lang,
                                                 code=submitted.code,
                                                 reference=submitted.reference))

    def refused(self, dispatcher: CollectingDispatcher, lang: str,
                errors: dict[str, str]) -> list[EventType]:
        """The portal refused answers (its messages are in the citizen's language): ask
        those questions again, keep the rest."""
        cleared: list[str] = []
        for key in errors:
            cleared += FIELDS.get(key.split(".", 1)[0], ())
        if not cleared:
            logger.warning("intake refused: %s", ", ".join(sorted(errors)))
            say(dispatcher, texts.text("text_intake_send_failed", lang),
                [link(lang, "text_link_intake", self.client.intake_path(lang, ask=False))],
                buttons=[resume_button(lang)])
            return [SlotSet(REVIEW, None), SlotSet(STATUS, DONE)]
        dispatcher.utter_message(text=" ".join(dict.fromkeys(errors.values())))
        events: list[EventType] = [SlotSet(name, None) for name in dict.fromkeys(cleared)]
        return [*events, SlotSet(REVIEW, None), SlotSet(STATUS, RETRY)]


def resume_button(lang: str) -> dict[str, str]:
    return {"title": texts.text("text_intake_resume_button", lang), "payload": "/resume_intake"}


# --- pausing ---------------------------------------------------------------------------


class ActionIntakePaused(UsesPortal, Action):
    """Something else in the middle of the intake: answer it, and say how to come back."""

    def name(self) -> str:
        return "action_intake_paused"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        events: list[EventType] = []
        if intent in SITUATION_INTENTS:
            municipality = tracker.get_slot(MUNICIPALITY) or tracker.get_slot("municipality")
            patched = _with_slots(tracker, {"municipality": municipality or OTHER})
            events += Guide(self.client).answer(dispatcher, patched)
        elif intent == "ask_coordinator":
            dispatcher.utter_message(text=texts.text("utter_coordinator", lang))
        elif intent == "out_of_scope":
            dispatcher.utter_message(text=texts.text("utter_out_of_scope", lang))
        elif intent in ("book_session", "manage_booking"):
            dispatcher.utter_message(text=texts.text("text_intake_booking_later", lang))
        data = texts.message("text_intake_paused", lang)
        dispatcher.utter_message(text=data["text"], buttons=[
            resume_button(lang),
            forms.button(data["custom"]["stop"], "stop")])
        state = State.load(tracker.get_slot(STATE))
        state.started = True
        return [*events, SlotSet(STATE, state.dump())]


class ActionIntakeOutside(Action):
    """An intake button pressed while no intake is asked: "stop" after a pause forgets the
    answers (nothing is sent); an old question's button says how to go on."""

    def name(self) -> str:
        return "action_intake_outside"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[EventType]:
        lang = lang_of(tracker)
        started = State.load(tracker.get_slot(STATE)).started
        if forms.choice_entity(tracker) == "stop":
            if started:
                dispatcher.utter_message(text=texts.text("text_intake_cancelled", lang))
            else:
                dispatcher.utter_message(text=texts.text("utter_deny", lang))
            return reset_events()
        if started:
            data = texts.message("text_intake_paused", lang)
            dispatcher.utter_message(text=data["text"], buttons=[
                resume_button(lang), forms.button(data["custom"]["stop"], "stop")])
            return []
        dispatcher.utter_message(text=texts.text("text_intake_offer", lang),
                                 buttons=[start_button(lang)])
        return []


def start_button(lang: str) -> dict[str, str]:
    return {"title": texts.text("text_intake_start_button", lang), "payload": "/apply_for_help"}
