"""Booking a session in the chat: the booking form's actions against the real portal API.

`Conversation` plays Rasa's part the way its FormAction does (validate the answer with
`validate_booking_form`; if it was not rejected, ask for the first required slot still
empty with its `action_ask_*`; when none is left, `action_book_session`), so each test
is a whole conversation through the real API: free times from the demo schedules, real
bookings, real 409s. The portal is checked independently through its own API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from actions import times
from actions.booking import (
    REQUIRED,
    ActionBookingStopped,
    ActionBookSession,
    AskBookingAlias,
    AskBookingChannel,
    AskBookingContact,
    AskBookingOffer,
    AskBookingSlot,
    ValidateBookingForm,
    clean_alias,
    read_contact,
    topic_of,
)
from actions.portal import PortalClient
from conftest import make_tracker
from rasa_sdk.executor import CollectingDispatcher

FORM = "booking_form"
ALCOHOL = "virtuel-alkoholbehandling-holstebro"
HOUSING = "virtuel-bostoette-holstebro"
ASK = {"booking_offer": AskBookingOffer, "booking_channel": AskBookingChannel,
       "booking_slot": AskBookingSlot, "booking_alias": AskBookingAlias,
       "booking_contact": AskBookingContact}
DANISH_MOMENT = re.compile(r"^(mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag) "
                           r"\d{1,2}\. [a-zæøå]{3}\. kl\. \d\d\.\d\d$")
ENGLISH_MOMENT = re.compile(r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) "
                            r"\d{1,2} [A-Z][a-z]{2}, \d\d:\d\d$")


def slots_after(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


class Conversation:
    """One citizen's booking, with the form run as Rasa runs it."""

    def __init__(self, client: PortalClient, lang: str = "da", **slots: Any) -> None:
        self.client = client
        self.slots: dict[str, Any] = {"lang": lang, **slots}
        self.active = False
        self.rejected = False
        self.booked_messages: list[dict[str, Any]] = []

    def tracker(self, text: str, intent: str | None, entities: list | None = None):
        return make_tracker(text, intent, entities, {"lang": self.slots["lang"]},
                            active_loop=FORM if self.active else None, **self.slots)

    def say(self, text: str, intent: str | None = "inform_booking",
            entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """One message to the form: what the bot says back (its next question, or the
        booking when the form is done)."""
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ValidateBookingForm(self.client).run(
            dispatcher, self.tracker(text, intent, entities), {}))
        self.rejected = self.active and not events
        if self.rejected:
            return dispatcher.messages  # the rules answer (crisis, a no, ...)
        changed = slots_after(events)
        self.slots.update(changed)
        messages = list(dispatcher.messages)
        if "requested_slot" in changed and changed["requested_slot"] is None:
            self.active = False  # the form ended at once: nothing to book
            return messages + self.book()
        self.active = True
        missing = next((name for name in REQUIRED if self.slots.get(name) is None), None)
        self.slots["requested_slot"] = missing
        if missing is None:
            self.active = False
            return messages + self.book()
        dispatcher = CollectingDispatcher()
        asked = ASK[missing]().run(dispatcher, self.tracker(text, intent, entities), {})
        self.slots.update(slots_after(asked))
        return messages + dispatcher.messages

    def press(self, button: dict[str, str]) -> list[dict[str, Any]]:
        """A button: its payload, as Rasa parses it (intent and entities)."""
        match = re.fullmatch(r"/(\w+)(\{.*\})?", button["payload"])
        assert match, button
        import json

        entities = [{"entity": k, "value": v}
                    for k, v in json.loads(match.group(2) or "{}").items()]
        return self.say(button["payload"], match.group(1), entities)

    def book(self) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = ActionBookSession(self.client).run(dispatcher, self.tracker("", None), {})
        self.slots.update(slots_after(events))
        self.booked_messages = dispatcher.messages
        messages = list(dispatcher.messages)
        if self.slots.get("booking_status") == "retry":  # the rule: the form again
            messages += self.say("", None)
        return messages

    def stop(self) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = ActionBookingStopped().run(dispatcher, self.tracker("stop", "stop"), {})
        self.slots.update(slots_after(events))
        self.active = False
        return dispatcher.messages

    @property
    def requested(self) -> str | None:
        return self.slots.get("requested_slot") if self.active else None


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


def time_buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for b in buttons(messages) if '"booking_slot": "' in b["payload"]
            and re.search(r'"\d+-\d{12}"', b["payload"])]


def slot_id(button: dict[str, str]) -> str:
    return re.search(r'"(\d+-\d{12})"', button["payload"]).group(1)


def button(messages: list[dict[str, Any]], payload_part: str) -> dict[str, str]:
    return next(b for b in buttons(messages) if payload_part in b["payload"])


def texts_of(messages: list[dict[str, Any]]) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def links(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [lk for m in messages for lk in (m.get("custom") or {}).get("links") or []]


def free(portal_url: str, slug: str, channel: str) -> list[dict[str, Any]]:
    """The portal's free times, asked apart from the client under test."""
    first = times.today()
    response = requests.get(f"{portal_url}/api/v1/offers/{slug}/slots", timeout=5, params={
        "from": first.isoformat(), "to": (first + dt.timedelta(days=13)).isoformat(),
        "channel": channel})
    response.raise_for_status()
    return response.json()["items"]


def opened(portal_url: str, reference: str, code: str) -> requests.Response:
    return requests.get(f"{portal_url}/api/v1/bookings/{reference}", timeout=5,
                        headers={"X-Booking-Code": code})


def reference_and_code(messages: list[dict[str, Any]]) -> tuple[str, str]:
    text = texts_of(messages)
    reference = re.search(r"(?:referencenummer er|booking reference is) (\S+?)\.", text)
    code = re.search(r"(?:Din kode|Your code): (\S+)", text)
    assert reference and code, text
    return reference.group(1), code.group(1)


# --- the whole conversation -----------------------------------------------------------


def test_a_chat_with_an_alcohol_counsellor_booked_anonymously_in_danish(
        client: PortalClient, portal_url: str) -> None:
    talk = Conversation(client, "da")
    asked = talk.say("jeg vil gerne booke en chat med en alkoholbehandler", "book_session")
    # The offer and the channel are clear (alcohol treatment is by chat only): straight to
    # the next free times, as the portal lists them, written as Danes read them.
    assert talk.requested == "booking_slot"
    assert "Virtuel alkoholbehandling" in texts_of(asked)
    shown = time_buttons(asked)
    expected = free(portal_url, ALCOHOL, "chat")[:5]
    assert [slot_id(b) for b in shown] == [s["id"] for s in expected]
    assert all(DANISH_MOMENT.match(b["title"]) for b in shown), [b["title"] for b in shown]
    assert shown[0]["title"] == times.format_moment(
        dt.datetime.fromisoformat(expected[0]["starts_at"]), "da")
    assert {"Senere tider", "I frokostpausen", "Om aftenen"} <= {b["title"]
                                                                 for b in buttons(asked)}

    alias_question = talk.press(shown[0])
    assert talk.requested == "booking_alias"
    assert shown[0]["title"] in texts_of(alias_question)  # "Du har valgt ..."
    assert "CPR" in texts_of(alias_question) and "/skip" in [
        b["payload"] for b in buttons(alias_question)]
    contact_question = talk.say("kald mig Kim", "greet")
    assert talk.slots["booking_alias"] == "Kim"
    assert "påmindelse" in texts_of(contact_question)
    done = talk.say("/skip", "skip")

    reference, code = reference_and_code(done)
    assert talk.slots["booking_status"] == "done"
    code_message = [m for m in done if code in (m.get("text") or "")]
    assert len(code_message) == 1 and "kan ikke vises igen" in code_message[0]["text"]
    # The booking is real: the portal opens it with that reference and code.
    answer = opened(portal_url, reference, code)
    assert answer.status_code == 200 and answer.json()["status"] == "booked"
    assert answer.json()["starts_at"] == expected[0]["starts_at"]
    # The session page and the calendar file are portal paths that work; none has the code.
    urls = [lk["url"] for lk in links(done)]
    assert urls[0] == f"/samtale/{reference}"
    assert all(u.startswith("/") and code not in u for u in urls)
    for url in urls:
        assert requests.get(portal_url + url, timeout=5).status_code == 200, url
    # Nothing personal is kept once booked.
    assert all(talk.slots.get(name) is None for name in REQUIRED)


def test_english_evening_and_later_times_and_a_reminder(client: PortalClient,
                                                       portal_url: str) -> None:
    talk = Conversation(client, "en")
    asked = talk.say("I want to book a chat with an alcohol counsellor", "book_session")
    assert "Free times" in texts_of(asked)
    assert all(ENGLISH_MOMENT.match(b["title"]) for b in time_buttons(asked))
    evening = talk.say("in the evening")
    shown = time_buttons(evening)
    assert shown and all(
        times.local(dt.datetime.fromisoformat(s["starts_at"])).hour >= 17
        for s in free(portal_url, ALCOHOL, "chat") if s["id"] in map(slot_id, shown))
    later = talk.press(button(evening, '"later"'))
    later_ids = [slot_id(b) for b in time_buttons(later)]
    assert later_ids and not set(later_ids) & {slot_id(b) for b in shown}
    starts = {s["id"]: s["starts_at"] for s in free(portal_url, ALCOHOL, "chat")}
    assert min(starts[i] for i in later_ids) > max(starts[slot_id(b)] for b in shown)
    assert "All times" in [b["title"] for b in buttons(later)]

    talk.press(time_buttons(later)[0])
    talk.say("/skip", "skip")
    done = talk.say("my address is kim@example.dk")
    assert "reminder at kim@example.dk" in texts_of(done)
    assert "Keep the code – it cannot be shown again" in texts_of(done)
    reference, _code = reference_and_code(done)
    assert [lk["url"] for lk in links(done)][0] == f"/en/session/{reference}"


@pytest.mark.parametrize(("lang", "text"), [
    ("da", "jeg vil gerne booke en chat med en alkoholbehandler om aftenen"),
    ("en", "can I book an evening chat with an alcohol counsellor"),
])
def test_a_wish_in_the_first_message_chooses_the_first_times(client: PortalClient,
                                                              portal_url: str, lang: str,
                                                              text: str) -> None:
    talk = Conversation(client, lang)
    shown = time_buttons(talk.say(text, "book_session"))
    starts = {s["id"]: s["starts_at"] for s in free(portal_url, ALCOHOL, "chat")}
    assert shown and all(
        times.local(dt.datetime.fromisoformat(starts[slot_id(b)])).hour >= 17 for b in shown)


def test_several_offers_and_channels_are_asked_and_a_phone_session_needs_a_number(
        client: PortalClient, portal_url: str) -> None:
    # Copenhagen has no bookable offer in the demo: the bookable ones elsewhere are shown.
    talk = Conversation(client, "da", municipality="koebenhavn")
    asked = talk.say("kan jeg booke en tid", "book_session")
    assert talk.requested == "booking_offer"
    offers = requests.get(f"{portal_url}/api/v1/offers", params={"virtual": 1},
                          timeout=5).json()["items"]
    assert sorted(f'"{o["slug"]}"' for o in offers) == sorted(
        re.search(r'("[^"]+")\}$', b["payload"]).group(1) for b in buttons(asked))
    channel_question = talk.say("bostøtte", "inform_booking")
    assert talk.slots["booking_offer"] == HOUSING and talk.requested == "booking_channel"
    assert "allerede har fået bostøtte" in texts_of(channel_question)  # it needs a referral
    assert len(buttons(channel_question)) == 3
    times_question = talk.say("over telefonen", "inform_booking")
    assert talk.slots["booking_channel"] == "phone"
    first = time_buttons(times_question)[0]
    assert slot_id(first) == free(portal_url, HOUSING, "phone")[0]["id"]
    talk.press(first)
    phone_question = talk.say("/skip", "skip")
    assert "ringer behandleren til dig" in texts_of(phone_question)
    assert not buttons(phone_question), "no skip: a phone session needs a number"
    refused = talk.say("/skip", "skip")
    assert "telefonnummer" in texts_of(refused) and talk.requested == "booking_contact"
    done = talk.say("ring på 12 34 56 78")
    reference, code = reference_and_code(done)
    assert opened(portal_url, reference, code).json()["channel"] == "phone"


def test_a_time_taken_meanwhile_offers_the_next_free_times(client: PortalClient,
                                                           portal_url: str) -> None:
    talk = Conversation(client, "en")
    asked = talk.say("book a chat about my drinking", "book_session")
    chosen = time_buttons(asked)[1]
    talk.press(chosen)
    talk.say("/skip", "skip")
    # Somebody else books the same time first.
    other = requests.post(f"{portal_url}/api/v1/bookings", timeout=5,
                          json={"slot_id": slot_id(chosen), "channel": "chat"})
    assert other.status_code == 201
    again = talk.say("/skip", "skip")
    assert "That time was just taken" in texts_of(again)
    assert talk.requested == "booking_slot" and talk.slots["booking_status"] is None
    next_ids = [slot_id(b) for b in time_buttons(again)]
    assert next_ids and slot_id(chosen) not in next_ids
    assert next_ids[0] in [s["id"] for s in free(portal_url, ALCOHOL, "chat")]
    # The answers given stay: the next choice books at once.
    done = talk.press(time_buttons(again)[0])
    reference, code = reference_and_code(done)
    assert opened(portal_url, reference, code).status_code == 200


def test_stopping_midway_books_nothing(client: PortalClient, portal_url: str) -> None:
    talk = Conversation(client, "da")
    asked = talk.say("book en chat om alkohol", "book_session")
    chosen = slot_id(time_buttons(asked)[0])
    talk.press(time_buttons(asked)[0])
    # "nej tak" and "stop" are not answers: the form is rejected, the rules stop it.
    talk.say("nej tak", "deny")
    assert talk.rejected
    said = talk.stop()
    assert "ikke booket noget" in texts_of(said)
    assert buttons(said)[0]["payload"] == "/book_session"
    assert all(talk.slots.get(name) is None for name in REQUIRED)
    assert chosen in [s["id"] for s in free(portal_url, ALCOHOL, "chat")]


def test_crisis_and_questions_are_not_taken_as_answers(client: PortalClient,
                                                       portal_url: str) -> None:
    talk = Conversation(client, "da")
    talk.say("jeg vil gerne booke en chat med en alkoholbehandler", "book_session")
    for text, intent in [("jeg vil ikke leve mere", "crisis"),
                         ("er du en robot", "bot_challenge"),
                         ("kan jeg tale med et menneske", "request_human")]:
        talk.say(text, intent)
        assert talk.rejected, intent
    assert talk.slots.get("booking_slot") is None and talk.slots.get("booking_alias") is None
    # A no that names another time is an answer, not a stop.
    other = talk.say("ikke i dag, hellere i morgen aften", "deny")
    assert not talk.rejected and talk.requested == "booking_slot"
    tomorrow = times.today() + dt.timedelta(days=1)
    starts = {s["id"]: times.local(dt.datetime.fromisoformat(s["starts_at"]))
              for s in free(portal_url, ALCOHOL, "chat")}
    shown = [starts[slot_id(b)] for b in time_buttons(other)]
    if any(m.date() == tomorrow and m.hour >= 17 for m in starts.values()):
        assert shown and all(m.date() == tomorrow and m.hour >= 17 for m in shown)
    else:
        assert "ingen ledige tider, som passer" in texts_of(other)


def test_repeated_answers_it_cannot_use_get_an_explanation(client: PortalClient) -> None:
    talk = Conversation(client, "da")
    talk.say("jeg vil gerne booke en chat med en alkoholbehandler", "book_session")
    first = talk.say("blå blomster", "nlu_fallback")
    assert "forstod ikke" in texts_of(first[:1])
    second = talk.say("grøn kaffe", "nlu_fallback")
    assert "stop" in texts_of(second[:1]) and "tirsdag kl. 17.30" in texts_of(second[:1])
    assert time_buttons(second), "the times are shown again"
    # A time written as people write it is understood.
    shown = time_buttons(second)[2]["title"]  # e.g. "tirsdag 1. dec. kl. 17.30"
    talk.say(shown, "inform_booking")
    assert talk.requested == "booking_alias"


def test_no_cpr_number_as_alias(client: PortalClient) -> None:
    talk = Conversation(client, "en")
    asked = talk.say("book a chat about alcohol", "book_session")
    talk.press(time_buttons(asked)[0])
    refused = talk.say("010203-1234")
    assert "CPR" in texts_of(refused) and talk.slots.get("booking_alias") is None
    # Skipping in words, whatever the NLU made of them; an address is not a skip.
    talk.say("uden navn tak", "deny_or_anything")
    assert talk.slots["booking_alias"] == "" and talk.requested == "booking_contact"
    talk.say("sam@anonym.dk", "greet")
    assert "sam@anonym.dk" in texts_of(talk.booked_messages)


def test_portal_down_says_so_and_books_nothing(down_client: PortalClient,
                                                gone_client: PortalClient,
                                                client: PortalClient) -> None:
    # Never seen: said plainly, no link; the form ends at once.
    talk = Conversation(down_client, "da")
    said = talk.say("kan jeg booke en tid", "book_session")
    assert "kan ikke slå ledige tider op" in texts_of(said)
    assert not talk.active and talk.slots["booking_status"] == "done"
    # Down at the moment of booking: no code, and the offer's page (last seen) instead.
    talk = Conversation(client, "en")
    asked = talk.say("book a chat about alcohol", "book_session")
    talk.press(time_buttons(asked)[0])
    talk.say("/skip", "skip")
    talk.client = gone_client
    said = talk.say("/skip", "skip")
    assert "could not book the time" in texts_of(said)
    assert [lk["url"] for lk in links(said)] == [f"/en/offers/{ALCOHOL}"]


def test_the_code_is_never_logged(client: PortalClient,
                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    talk = Conversation(client, "en")
    asked = talk.say("book a chat about alcohol", "book_session")
    talk.press(time_buttons(asked)[-1])
    talk.say("/skip", "skip")
    done = talk.say("/skip", "skip")
    _reference, code = reference_and_code(done)
    assert code not in caplog.text
    assert all(code not in lk["url"] for lk in links(done))


# --- reading what citizens write (no portal) ---------------------------------------


def test_times_are_written_as_people_read_them_across_daylight_saving() -> None:
    winter = dt.datetime(2026, 12, 1, 17, 30, tzinfo=times.TZ)
    assert times.format_moment(winter, "da") == "tirsdag 1. dec. kl. 17.30"
    assert times.format_moment(winter, "en") == "Tuesday 1 Dec, 17:30"
    summer = dt.datetime(2026, 6, 2, 17, 30, tzinfo=times.TZ)
    assert times.format_moment(summer, "da") == "tirsdag 2. jun. kl. 17.30"
    # The same moment in UTC: one hour apart in winter, two in summer.
    assert times.format_moment(summer.astimezone(ZoneInfo("UTC")), "en") == "Tuesday 2 Jun, 17:30"
    assert summer.astimezone(ZoneInfo("UTC")).hour == 15
    assert winter.astimezone(ZoneInfo("UTC")).hour == 16


@pytest.mark.parametrize("text, expected", [
    ("om aftenen", {"period": "evening"}),
    ("i frokostpausen", {"period": "lunch"}),
    ("i morgen aften", {"period": "evening", "day": dt.date(2026, 12, 1)}),
    ("i morgen", {"day": dt.date(2026, 12, 1)}),
    ("tirsdag kl. 17.30", {"day": dt.date(2026, 12, 1), "clock": dt.time(17, 30)}),
    ("Tuesday 1 Dec, 17:30", {"day": dt.date(2026, 12, 1), "clock": dt.time(17, 30)}),
    ("senere", {"later": True}),
    ("next week", {"after": dt.date(2026, 12, 7)}),
    ("næste uge om aftenen", {"after": dt.date(2026, 12, 7), "period": "evening"}),
    ("den første", {"choice": 0}),
    ("the second one", {"choice": 1}),
    ("efter arbejde", {"period": "evening"}),
    ("ikke i dag, hellere på torsdag om aftenen", {"day": dt.date(2026, 12, 3),
                                                   "period": "evening"}),
    ("not today, tomorrow evening", {"day": dt.date(2026, 12, 1), "period": "evening"}),
    ("hej", {}),
])
def test_written_wishes_for_a_time(text: str, expected: dict[str, Any]) -> None:
    monday_noon = dt.datetime(2026, 11, 30, 12, 0, tzinfo=times.TZ)
    assert times.read_wish(text, monday_noon) == times.Wish(**expected)


def test_contact_details_and_aliases() -> None:
    assert read_contact("min mail er kim@example.dk tak") == ("kim@example.dk", None)
    assert read_contact("12 34 56 78") == (None, "+4512345678")
    assert read_contact("+46 70 123 45 67") == (None, "+46701234567")
    assert read_contact("kim@example.dk og 12345678") == ("kim@example.dk", "+4512345678")
    assert read_contact("ingen") == (None, None)
    assert clean_alias("kald mig Kim") == "Kim"
    assert clean_alias("My name is Sam.") == "Sam"
    assert topic_of("jeg vil booke en chat med en alkoholbehandler") == "alcohol"
    assert topic_of("book a video call with housing support") == "housing"
    assert topic_of("kan jeg booke en tid") is None
