"""The intake and "talk to a person" forms in the chat: their actions, run as Rasa runs a
form, against a fake portal that records what is sent (fake_portal.py: the exact body per
the contract, the token, nothing sent when stopped) and, for the intake, the real portal.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import requests
from actions import handoff, intake
from actions.portal import PortalClient
from conftest import closed_url, make_tracker
from fake_portal import TOKEN, FakePortal
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def events_to_slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


class Talk:
    """One conversation with a form, run the way Rasa's FormAction runs it: validate the
    message; rejected -> the rules answer; else ask the first empty required slot with its
    action_ask_*; none left (or the form ended) -> the form's closing action."""

    def __init__(self, client: PortalClient, kind: str = "intake", lang: str = "da",
                 **slots: Any) -> None:
        self.client = client
        self.kind = kind
        module = intake if kind == "intake" else handoff
        self.form = module.FORM
        self.required = module.REQUIRED
        self.asks = module.ASK_ACTIONS
        self.validate = (intake.ValidateIntakeForm if kind == "intake"
                         else handoff.ValidateHandoffForm)
        self.slots: dict[str, Any] = {"lang": lang, **slots}
        self.active = False
        self.rejected = False
        self.events: list[dict[str, Any]] = []  # the tracker's events (user and bot)
        self.closing_events: list[dict[str, Any]] = []

    def tracker(self, text: str, intent: str | None, entities: list | None = None) -> Tracker:
        tracker = make_tracker(text, intent, entities, {"lang": self.slots["lang"]},
                               active_loop=self.form if self.active else None, **self.slots)
        tracker.events = list(self.events)
        tracker.sender_id = "chat-conversation-1"
        return tracker

    def say(self, text: str, intent: str | None = "inform_intake",
            entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        self.events.append({"event": "user", "text": text,
                            "parse_data": {"intent": {"name": intent}}})
        dispatcher = CollectingDispatcher()
        events = asyncio.run(self.validate(self.client).run(
            dispatcher, self.tracker(text, intent, entities), {}))
        self.rejected = self.active and not events
        if self.rejected:
            return self.record(dispatcher.messages)
        changed = events_to_slots(events)
        self.slots.update(changed)
        messages = list(dispatcher.messages)
        if "requested_slot" in changed and changed["requested_slot"] is None:
            self.active = False
            return self.record(messages) + self.close()
        self.active = True
        missing = next((n for n in self.required if self.slots.get(n) is None), None)
        self.slots["requested_slot"] = missing
        if missing is None:
            self.active = False
            return self.record(messages) + self.close()
        dispatcher = CollectingDispatcher()
        self.asks[missing](self.client).run(dispatcher, self.tracker(text, intent, entities),
                                            {})
        return self.record(messages + dispatcher.messages)

    def press(self, value: str) -> list[dict[str, Any]]:
        return self.say(f'/inform_intake{{"intake_choice": "{value}"}}', "inform_intake",
                        [{"entity": "intake_choice", "value": value}])

    def close(self) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        action = (intake.ActionSubmitIntake(self.client) if self.kind == "intake"
                  else handoff.ActionHandoff(self.client))
        self.closing_events = action.run(dispatcher, self.tracker("", None), {})
        self.slots.update(events_to_slots(self.closing_events))
        return self.record(dispatcher.messages)

    def record(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for m in messages:
            self.events.append({"event": "bot", "text": m.get("text"),
                                "data": {"custom": m.get("custom")}})
        return messages

    @property
    def requested(self) -> str | None:
        return self.slots.get("requested_slot") if self.active else None


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def values(messages: list[dict[str, Any]]) -> list[str]:
    found = []
    for m in messages:
        for b in m.get("buttons") or []:
            match = re.search(r'"intake_choice": "([^"]+)"', b["payload"])
            if match:
                found.append(match.group(1))
    return found


def links(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [lk for m in messages for lk in (m.get("custom") or {}).get("links", [])]


def whole_intake(talk: Talk) -> list[dict[str, Any]]:
    """A citizen's whole intake, Danish, buttons and words; returns the last answer."""
    asked = talk.say("jeg vil gerne have hjælp fra kommunen", "apply_for_help")
    assert "intet bliver sendt" in text_of(asked) and talk.requested == "intake_asker"
    assert values(asked) == ["self", "relative", "professional"]
    assert talk.requested == "intake_asker"
    talk.press("self")
    assert talk.slots["intake_authority"] == "none"  # the citizen: not asked
    assert talk.requested == "intake_situations"  # Egedal came with the page
    situations = talk.press("debt")
    assert "Valgt: Gæld og økonomi" in text_of(situations) and "done" in values(situations)
    talk.press("done")
    assert talk.slots["intake_situations"] == ["debt"]
    talk.say("Jeg har fået rykkere og kan ikke betale min husleje.", "situation_debt")
    assert talk.requested == "intake_goals"
    talk.say("At få styr på min økonomi", None)
    agencies = talk.say("jeg er i kontakt med jobcentret og egen læge", "inform_intake")
    assert talk.slots["intake_agencies"] == ["jobcentre", "doctor"], agencies
    method = talk.say("ring til mig", "request_human")  # read as the answer here
    assert not talk.rejected and talk.slots["intake_contact_method"] == "phone", method
    wrong = talk.say("det ved jeg ikke", None)
    assert talk.requested == "intake_contact" and "8 cifre" in text_of(wrong)
    talk.say("20 30 40 50", None)
    assert talk.slots["intake_contact"] == {"phone": "+4520304050"}
    talk.say("om formiddagen", "inform_intake")
    needs = talk.press("interpreter")
    assert "done" in values(needs)
    language = talk.press("done")
    assert "sprog" in text_of(language)
    talk.say("arabisk", None)
    assert talk.slots["intake_needs"] == ["interpreter"]
    consent = talk.press("this-week")
    # One consent per involved agency with its text: purpose, information, parties, no.
    text = text_of(consent)
    assert "Formål share-jobcentre" in text and "Oplysning 1" in text
    assert "Part A ↔ Part B (share-jobcentre)" in text and "Siger du nej: share-jobcentre" in text
    assert values(consent) == ["yes", "no"]  # nothing pre-chosen: two plain buttons
    second = talk.press("yes")
    assert "share-doctor" in text_of(second)
    review = talk.press("no")
    text = text_of(review)
    assert "Egedal" in text and "Gæld og økonomi" in text and "+4520304050" in text
    assert "Tolk (arabisk)" in text and "Jobcenter: ja; Egen læge: nej" in text
    return talk.press("yes")


def test_a_whole_intake_sends_exactly_the_contracts_body(fake: FakePortal,
                                                         fake_client: PortalClient) -> None:
    talk = Talk(fake_client, municipality="egedal", situation="debt")
    done = whole_intake(talk)
    [body] = fake.posted("/api/v1/intakes")
    assert body == {
        "lang": "da", "municipality": "egedal", "asker": "self", "authority": "none",
        "situations": ["debt"],
        "story": "Jeg har fået rykkere og kan ikke betale min husleje.",
        "goals": "At få styr på min økonomi", "agencies": ["jobcentre", "doctor"],
        "contact": {"method": "phone", "phone": "+4520304050", "times": "om formiddagen",
                    "interpreter_language": "arabisk"},
        "needs": ["interpreter"], "urgency": "this-week", "consents": [11]}
    sent = [r for r in fake.requests if r.path == "/api/v1/intakes"][0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    # The reference, what happens next and the status page; the code once, on its own.
    first, code = done
    assert "IND-2345-6789" in first["text"] and "CSS Egedal" in first["text"]
    assert "telefon" in first["text"] and "onsdag 2. december" in first["text"]
    assert links([first]) == [{"title": "Se status", "text": links([first])[0]["text"],
                               "url": "/en-indgang/status/IND-2345-6789"}]
    assert code["text"].startswith("Din kode: ABCD-EFGH-JKLM")
    assert "ABCD" not in first["text"] and not code.get("custom")
    # The answers are forgotten once sent.
    assert all(talk.slots[name] is None for name in intake.REQUIRED)
    assert talk.slots["intake_status"] == "done"


def test_english_intake_in_words(fake: FakePortal, fake_client: PortalClient) -> None:
    talk = Talk(fake_client, lang="en", search_text="I cannot pay my rent")
    asked = talk.say("I want to apply for help", "apply_for_help")
    assert "nothing is sent" in text_of(asked)
    talk.say("it is for myself", "inform_intake")
    assert talk.requested == "intake_municipality"
    talk.say("Fredericia", "inform_municipality")
    talk.say("debt and housing", None)
    assert talk.slots["intake_situations"] == ["debt", "housing"]
    story = [m for m in talk.events if m["event"] == "bot"][-1]["text"]
    assert "I cannot pay my rent" in story
    talk.press("earlier")
    assert talk.slots["intake_story"] == "I cannot pay my rent"
    talk.say("to keep my flat", None)
    talk.say("none", "deny")
    assert talk.slots["intake_agencies"] == []
    talk.say("kim@example.dk", None)  # the method and the address at once
    assert talk.slots["intake_contact"] == {"email": "kim@example.dk"}
    talk.press("any")
    talk.press("none")
    review = talk.say("no hurry", None)
    assert "Consent: none" in text_of(review) and "Fredericia" in text_of(review)
    done = talk.press("yes")
    body = fake.posted("/api/v1/intakes")[0]
    assert body["lang"] == "en" and body["contact"] == {"method": "email",
                                                        "email": "kim@example.dk"}
    assert body["consents"] == [] and body["urgency"] == "no-hurry"
    assert "Your code: ABCD-EFGH-JKLM" in text_of(done)
    assert links(done)[0]["title"] == "See the status"


def test_a_relative_without_authority_is_not_asked_to_consent(
        fake: FakePortal, fake_client: PortalClient) -> None:
    talk = Talk(fake_client, municipality="egedal")
    talk.say("start en henvendelse", "apply_for_help")
    authority = talk.press("relative")
    assert values(authority) == ["power_of_attorney", "guardianship", "none"]
    talk.press("none")
    talk.press("alcohol")
    talk.press("done")
    talk.say("min mor drikker hver dag", "situation_alcohol")
    talk.say("at hun får hjælp", None)
    talk.say("egen læge", None)
    talk.press("letter")
    wrong = talk.say("Bygaden", None)
    assert "postnummer" in text_of(wrong) and talk.requested == "intake_contact"
    talk.say("Bygaden 12, 3650 Ølstykke", None)
    talk.press("any")
    talk.press("none")
    told = talk.press("this-week")
    # No consent question: the person must consent themselves; the review says so.
    assert "selv give sit samtykke" in text_of(told)
    assert values(told) == ["yes", "no"] and talk.requested == "intake_review"
    assert "personen giver selv samtykke" in text_of(told)
    talk.press("yes")
    body = fake.posted("/api/v1/intakes")[0]
    assert (body["asker"], body["authority"], body["consents"]) == ("relative", "none", [])
    assert body["contact"] == {"method": "letter", "address": "Bygaden 12, 3650 Ølstykke"}
    assert not any(r.path == "/api/v1/consent-texts" for r in fake.requests)


def test_stop_is_confirmed_and_nothing_is_sent(fake: FakePortal,
                                               fake_client: PortalClient) -> None:
    talk = Talk(fake_client, municipality="egedal")
    talk.say("start en henvendelse", "apply_for_help")
    talk.press("self")
    asked = talk.say("stop", "deny")
    assert "Vil du stoppe" in text_of(asked) and values(asked) == ["yes", "no"]
    again = talk.press("no")
    assert talk.requested == "intake_situations" and "vi fortsætter" in text_of(again).lower()
    talk.say("annuller", "deny")
    stopped = talk.press("yes")
    assert "Intet er sendt" in text_of(stopped)
    assert not fake.posted("/api/v1/intakes")
    assert all(talk.slots.get(name) is None for name in intake.REQUIRED)


def test_interruptions_crisis_and_pause(fake: FakePortal, fake_client: PortalClient) -> None:
    talk = Talk(fake_client, municipality="egedal")
    talk.say("start en henvendelse", "apply_for_help")
    for text, intent in [("jeg vil ikke leve mere", "crisis"), ("er du en robot", "bot_challenge"),
                         ("find tilbud om gæld", "situation_debt"),
                         ("hvad er en koordinerende sagsbehandler", "ask_coordinator")]:
        talk.say(text, intent)
        assert talk.rejected, intent  # the rules answer (crisis first)
    talk.press("self")
    talk.press("done")
    assert talk.requested == "intake_story"
    talk.say("hvad er en tovholder", "ask_coordinator")
    assert talk.rejected  # even for a free-text question
    # Paused: the action answers and says how to come back; the answers are kept.
    dispatcher = CollectingDispatcher()
    paused = intake.ActionIntakePaused(fake_client).run(
        dispatcher, talk.tracker("hvad er en tovholder", "ask_coordinator"), {})
    assert "tovholder" in text_of(dispatcher.messages)
    assert dispatcher.messages[-1]["buttons"][0]["payload"] == "/resume_intake"
    talk.slots.update(events_to_slots(paused))
    talk.active = False
    back = talk.say("fortsæt", "resume_intake")
    assert "Dine svar er gemt" in text_of(back) and talk.requested == "intake_story"
    assert talk.slots["intake_asker"] == "self"


def test_unclear_answers_are_asked_again_plainly(fake: FakePortal,
                                                 fake_client: PortalClient) -> None:
    talk = Talk(fake_client, municipality="egedal")
    talk.say("start en henvendelse", "apply_for_help")
    first = talk.say("blå", None)
    assert "kunne jeg ikke bruge" in text_of(first) and "Mig selv" in text_of(first)
    assert talk.requested == "intake_asker"
    second = talk.say("grøn", None)
    assert "stop" in text_of(second)  # after two: how to ask something else or stop


def test_portal_down_when_sending_keeps_the_answers(fake: FakePortal,
                                                    fake_client: PortalClient) -> None:
    talk = Talk(fake_client, municipality="egedal")
    talk.say("start en henvendelse", "apply_for_help")
    for value in ("self", "done"):
        talk.press(value)
    talk.say("noget om mig", None)
    talk.say("noget bedre", None)
    talk.press("none")
    talk.say("20304050", None)
    talk.press("any")
    talk.press("none")
    talk.press("today")
    fake.answers[("POST", "/api/v1/intakes")] = (503, {"error": "down"})
    failed = talk.press("yes")
    assert "ikke fået en kode" in text_of(failed)
    assert talk.slots["intake_story"] == "noget om mig" and talk.slots["intake_review"] is None
    assert failed[0]["buttons"][0]["payload"] == "/resume_intake"
    # Refused fields (400) are asked again, the rest kept.
    del fake.answers[("POST", "/api/v1/intakes")]
    fake.answers[("POST", "/api/v1/intakes")] = (400, {"errors": {
        "contact.phone": "Skriv et dansk telefonnummer med 8 cifre."}})
    talk.active = False
    talk.say("fortsæt", "resume_intake")
    refused = talk.press("yes")
    assert "8 cifre" in text_of(refused) and talk.slots["intake_status"] == "retry"
    assert talk.slots["intake_contact"] is None and talk.slots["intake_story"] == "noget om mig"


def test_the_intake_lands_in_the_real_portal(client: PortalClient, portal_url: str) -> None:
    talk = Talk(client, municipality="egedal", situation="alcohol")
    talk.say("jeg vil gerne have hjælp fra kommunen", "apply_for_help")
    talk.press("self")
    talk.press("done")
    talk.say("Jeg drikker for meget.", None)
    talk.say("Drikke mindre", None)
    talk.press("jobcentre")
    talk.press("done")
    talk.press("email")
    talk.say("kim@example.dk", None)
    talk.press("any")
    talk.press("none")
    consent = talk.press("this-week")
    assert "jobcent" in text_of(consent).lower()
    talk.press("yes")
    done = talk.press("yes")
    reference = re.search(r"referencenummer er (\S+?)\.", text_of(done)).group(1)
    code = re.search(r"Din kode: (\S+)", text_of(done)).group(1)
    seen = requests.get(f"{portal_url}/api/v1/intakes/{reference}",
                        headers={"X-Intake-Code": code}, timeout=5).json()
    assert seen["status"] == "received" and seen["municipality"] == "egedal"
    assert [c["key"] for c in seen["consents"]] == ["share-jobcentre"]
    assert links(done)[0]["url"].startswith("/")


# --- talk to a person -----------------------------------------------------------------


def handoff_talk(client: PortalClient, transcript: bool, lang: str = "da") -> Talk:
    talk = Talk(client, "handoff", lang=lang)
    # Earlier in the conversation: a situation, offers shown, a booking code said once.
    talk.events += [
        {"event": "user", "text": "jeg har gæld", "parse_data": {"intent": {
            "name": "situation_debt"}}},
        {"event": "slot", "name": "situation", "value": "debt"},
        {"event": "bot", "text": "Her er tilbud i Egedal", "data": {"custom": {"links": [
            {"title": "Gældsrådgivning Egedal", "text": "x", "url": "/tilbud/gaeld-egedal"},
            {"title": "Søg i tilbud", "text": "x", "url": "/soeg?q=g%C3%A6ld"}]}}},
        {"event": "bot", "text": "Din kode: SECRET-CODE\nGem koden", "data": {}},
    ]
    asked = talk.say("kan jeg tale med en sagsbehandler", "request_human")
    assert talk.requested == "handoff_municipality" and values(asked)[:2] == [
        "egedal", "fredericia"]
    consent = talk.say("Egedal", "inform_municipality")
    purpose, no = ("Formål", "Siger du nej") if lang == "da" else ("Purpose", "If you say no")
    assert f"{purpose} share-chat-transcript" in text_of(consent)
    assert f"{no}: share-chat-transcript" in text_of(consent)
    assert values(consent) == ["yes", "no"]
    talk.press("yes" if transcript else "no")
    return talk


def test_handoff_with_the_transcript(fake: FakePortal, fake_client: PortalClient) -> None:
    talk = handoff_talk(fake_client, transcript=True)
    talk.press("phone")
    done = talk.say("20 30 40 50", None)
    [body] = fake.posted("/api/v1/handoffs")
    assert set(body) == {"conversation_id", "lang", "municipality", "situations", "summary",
                         "transcript", "transcript_consent_id", "contact"}
    assert body["conversation_id"] == "chat-conversation-1" and body["lang"] == "da"
    assert body["municipality"] == "egedal" and body["situations"] == ["debt"]
    assert body["transcript_consent_id"] == 19
    assert body["contact"] == {"method": "phone", "phone": "+4520304050"}
    assert "Gæld og økonomi" in body["summary"] and "Gældsrådgivning Egedal" in body["summary"]
    assert "jeg har gæld" not in body["summary"]  # no free text of the citizen's
    assert "Borger: jeg har gæld" in body["transcript"]
    assert "Chatassistent: Her er tilbud i Egedal" in body["transcript"]
    assert "SECRET-CODE" not in body["transcript"]
    assert "Ingen kan tage chatten lige nu" in text_of(done)
    assert "IND-9876-5432" in text_of(done) and "Din kode: WXYZ-WXYZ-WXYZ" in text_of(done)
    assert links(done)[0]["url"] == "/en-indgang/status/IND-9876-5432"
    assert not any(e.get("event") == "pause" for e in talk.closing_events)
    sent = [r for r in fake.requests if r.path == "/api/v1/handoffs"][0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"


def test_handoff_without_consent_sends_no_transcript_and_pauses_when_live(
        fake: FakePortal, fake_client: PortalClient) -> None:
    status, answer = fake.answer("POST", "/api/v1/handoffs", {})
    fake.answers[("POST", "/api/v1/handoffs")] = (status, {
        **answer, "live": True, "message": "A caseworker from CSS Egedal joins this chat now."})
    talk = handoff_talk(fake_client, transcript=False, lang="en")
    done = talk.press("status")
    [body] = fake.posted("/api/v1/handoffs")
    assert body["transcript"] is None and body["transcript_consent_id"] is None
    assert body["contact"] is None and body["lang"] == "en"
    assert "joins this chat now" in text_of(done)
    assert talk.closing_events[-1] == {"event": "pause", "timestamp": None}


def test_handoff_portal_down_says_the_ways_that_always_work() -> None:
    client = PortalClient(base_url=closed_url(), timeout=0.5, token=None)
    talk = Talk(client, "handoff", municipality="egedal")
    said = talk.say("kan jeg tale med en sagsbehandler", "request_human")
    text = text_of(said)
    assert "ikke nå kommunen" in text and "112" in text and "70 201 201" in text
    assert {lk["url"] for lk in links(said)} >= {"tel:112", "tel:70201201"}
    assert not talk.active


def test_handoff_stop(fake: FakePortal, fake_client: PortalClient) -> None:
    talk = Talk(fake_client, "handoff", municipality="egedal")
    talk.say("kan jeg tale med en sagsbehandler", "request_human")
    stopped = talk.say("stop", "deny")
    assert "ikke kontaktet nogen" in text_of(stopped)
    assert not fake.posted("/api/v1/handoffs")


def test_payload_shapes() -> None:
    assert json.loads(intake.forms.payload("yes")[len("/inform_intake"):]) == {
        "intake_choice": "yes"}
