"""The live chat: the citizen's widget messages go to the caseworker's room (and still
to the paused Rasa), the caseworker's reach the widget's stream, the caseworker ends the
chat and Rasa resumes the conversation; a crisis while live; who may open the room."""

from __future__ import annotations

import pytest

from portal.chat.rasa import RasaClient
from portal.core.extensions import db
from portal.livechat import service as livechat
from tests.chat.stack import RASA_TOKEN, closed_url
from tests.handoff.helpers import (
    CSS,
    JOBCENTER,
    Citizen,
    available_caseworker,
    caseworker,
    events,
    handoff_of,
    post_handoff,
)
from tests.livechat.test_live_session import send_json
from tests.staff.helpers import text_of, token

ASK = "jeg vil gerne tale med et menneske"
# Resumed, and listening: the paused turn ended with the action that paused it.
RESUME = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def ask_for_a_person(app, rasa, citizen: Citizen) -> dict:
    """The citizen asks for a person; the stub Rasa's action server hands the chat over
    (with the conversation id the portal sent as `sender`) and says the portal's message."""
    made: dict = {}

    def action_server(body: dict) -> None:
        if body.get("message") == ASK:
            made.update(post_handoff(app, conversation_id=body["sender"]).get_json())
            rasa.reply = [{"text": made["message"]}]

    rasa.on_message = action_server
    status, answer = citizen.say(ASK)
    rasa.on_message = None
    assert status == 200, answer
    assert answer["messages"][0]["text"] == made["message"]
    return {**made, "answer": answer}


@pytest.fixture()
def live_chat(handoff_app, rasa):
    """A citizen in a live chat with an available caseworker of Egedal's CSS team."""
    worker, worker_id = available_caseworker(handoff_app, CSS)
    citizen = Citizen(handoff_app)
    made = ask_for_a_person(handoff_app, rasa, citizen)
    assert made["live"] is True
    return worker, worker_id, citizen, made


def room_messages(app, room: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(m.sender, m.body) for m in livechat.messages_after(room)]


def test_the_widget_is_told_who_it_writes_with_and_the_room(handoff_app, live_chat):
    _worker, worker_id, _citizen, made = live_chat
    live = made["answer"]["live"]
    handoff = handoff_of(handoff_app, made["reference"])
    assert live["room"] == handoff.room_id
    assert live["stream"] == f"/live/rooms/{handoff.room_id}/events?lang=da"
    assert live["with"].startswith("Du skriver nu med Test ")
    assert live["with"].endswith(", Center for Social Service, Egedal (demo).")


def test_the_citizens_messages_reach_the_room_and_still_the_paused_rasa(
        handoff_app, rasa, live_chat):
    _worker, _id, citizen, made = live_chat
    room = made["answer"]["live"]["room"]
    rasa.reply = []  # paused: Rasa answers nothing
    status, answer = citizen.say("Jeg har brug for hjælp til min bolig")
    assert status == 200
    assert answer["messages"] == [] and answer["live"]["room"] == room
    assert rasa.received[-1]["message"] == "Jeg har brug for hjælp til min bolig"
    assert room_messages(handoff_app, room) == [("citizen", "Jeg har brug for hjælp til min bolig")]


def test_the_caseworker_answers_and_the_widget_stream_brings_it(handoff_app, live_chat):
    worker, _id, citizen, made = live_chat
    room = made["answer"]["live"]["room"]
    citizen.say("Hej")
    page = worker.get(f"/personale/chat/{made['reference']}")
    assert page.status_code == 200
    assert "Hej" in text_of(page.get_data(as_text=True))
    sent = send_json(worker, room, "Hej, jeg hedder Test. Hvad kan jeg hjælpe med?",
                     lang="da", page=f"/personale/chat/{made['reference']}")
    assert sent.status_code == 201
    got = citizen.stream(room)
    staff_says = [data["body"] for name, data in got if name == "message"
                  and data["sender"] == "staff"]
    assert staff_says == ["Hej, jeg hedder Test. Hvad kan jeg hjælpe med?"]


def test_ending_the_chat_closes_the_room_and_resumes_rasa(handoff_app, rasa, live_chat):
    worker, _id, citizen, made = live_chat
    room = made["answer"]["live"]["room"]
    page = f"/personale/chat/{made['reference']}"
    ended = worker.post(page + "/afslut", data={"csrf_token": token(worker, page)})
    assert ended.status_code == 303
    conversation = handoff_of(handoff_app, made["reference"]).conversation_id
    assert (conversation, RESUME, RASA_TOKEN) in rasa.events
    assert ("closed", {}) in citizen.stream(room)
    assert "Chatten er afsluttet" in text_of(worker.get(page).get_data(as_text=True))
    # The assistant answers again, and the widget is no longer live.
    rasa.reply = [{"text": "Hvad kan jeg hjælpe med?"}]
    status, answer = citizen.say("hej igen")
    assert status == 200
    assert answer["messages"][0]["text"] == "Hvad kan jeg hjælpe med?"
    assert "live" not in answer
    assert room_messages(handoff_app, room) == []


def test_the_handoff_page_links_to_the_live_chat_and_its_history_notes_it(
        handoff_app, rasa, live_chat):
    worker, _id, _citizen, made = live_chat
    intake_page = f"/personale/henvendelser/{made['reference']}"
    chat_page = f"/personale/chat/{made['reference']}"
    html = worker.get(intake_page).get_data(as_text=True)
    assert f'href="{chat_page}"' in html
    assert "Livechat med Test " in text_of(html)
    worker.post(chat_page + "/afslut", data={"csrf_token": token(worker, chat_page)})
    assert "Livechat afsluttet af Test " in text_of(worker.get(intake_page).get_data(
        as_text=True))


def test_a_resume_that_failed_is_tried_again_at_the_next_message(handoff_app, rasa, live_chat):
    worker, _id, citizen, made = live_chat
    working = handoff_app.extensions["chat_bot"]
    handoff_app.extensions["chat_bot"] = RasaClient(closed_url(), timeout=1, token=RASA_TOKEN)
    page = f"/personale/chat/{made['reference']}"
    worker.post(page + "/afslut", data={"csrf_token": token(worker, page)})
    assert handoff_of(handoff_app, made["reference"]).resumed_at is None
    handoff_app.extensions["chat_bot"] = working
    rasa.reply = [{"text": "Velkommen tilbage."}]
    _status, answer = citizen.say("hallo?")
    assert answer["messages"][0]["text"] == "Velkommen tilbage."
    assert [e for _c, e, _t in rasa.events] == [RESUME]
    assert handoff_of(handoff_app, made["reference"]).resumed_at is not None


def test_a_crisis_while_live_is_answered_at_once_and_the_caseworker_alerted(
        handoff_app, rasa, live_chat):
    worker, _id, citizen, made = live_chat
    rasa.reply = []
    rasa.intent = "crisis"
    _status, answer = citizen.say("jeg vil ikke leve mere")
    assert rasa.parsed == ["jeg vil ikke leve mere"]
    assert "112" in answer["messages"][0]["text"]
    assert {"tel:112", "tel:70201201"} <= {link["url"] for link in answer["messages"][0]["links"]}
    assert handoff_of(handoff_app, made["reference"]).crisis_at is not None
    page = worker.get(f"/personale/chat/{made['reference']}").get_data(as_text=True)
    assert 'role="alert"' in page and "Krise" in text_of(page)
    listed = events(worker, "/live/caseworker/chats?lang=da")
    chats = [c for name, data in listed if name == "chats" for c in data["chats"]]
    assert any(c["reference"] == made["reference"] and c["crisis"] and c["alert"]
               for c in chats)


def test_a_message_that_is_no_crisis_alerts_nobody(handoff_app, rasa, live_chat):
    _worker, _id, citizen, made = live_chat
    rasa.intent = "inform"
    _status, answer = citizen.say("Jeg bor i Ølstykke")
    assert answer["messages"] == []
    assert handoff_of(handoff_app, made["reference"]).crisis_at is None


def test_another_teams_caseworker_cannot_open_the_room_nor_its_stream(handoff_app, live_chat):
    _worker, _id, _citizen, made = live_chat
    room = made["answer"]["live"]["room"]
    other, _other_id = caseworker(handoff_app, JOBCENTER)
    page = f"/personale/chat/{made['reference']}"
    assert other.get(page).status_code == 404
    assert other.get(f"/en/staff/chat/{made['reference']}").status_code == 404
    assert other.post(page + "/afslut",
                      data={"csrf_token": token(other, "/personale/chat")}).status_code == 404
    assert other.get(f"/live/rooms/{room}/events?lang=da").status_code == 403
    listed = events(other, "/live/caseworker/chats?lang=da")
    assert all(c["reference"] != made["reference"]
               for name, data in listed if name == "chats" for c in data["chats"])
    # An unknown reference looks the same.
    assert other.get("/personale/chat/ZZZZ-ZZZZ").status_code == 404


def test_a_colleague_of_the_team_may_open_the_chat_and_the_view_is_audited(
        handoff_app, live_chat):
    _worker, _id, _citizen, made = live_chat
    colleague, colleague_id = caseworker(handoff_app, CSS)
    assert colleague.get(f"/en/staff/chat/{made['reference']}").status_code == 200
    from portal.core import audit

    with handoff_app.app_context():
        entries = audit.entries_for("intake", made["reference"])
        assert any(e.staff_id == colleague_id and e.action == "view_live_chat" for e in entries)
        db.session.rollback()


def test_the_citizen_without_the_grant_cannot_follow_the_room(handoff_app, live_chat):
    _worker, _id, _citizen, made = live_chat
    stranger = Citizen(handoff_app)
    room = made["answer"]["live"]["room"]
    assert stranger.client.get(f"/live/rooms/{room}/events?lang=da").status_code == 403


def test_a_chat_nobody_ended_ends_by_itself_and_the_assistant_is_back(
        handoff_app, rasa, live_chat):
    import datetime as dt

    from portal.chat.models import Handoff

    _worker, _id, citizen, made = live_chat
    with handoff_app.app_context():
        handoff = db.session.query(Handoff).filter_by(room_id=made["answer"]["live"]["room"]).one()
        handoff.created_at -= dt.timedelta(hours=13)
        db.session.commit()
    rasa.reply = [{"text": "Hvad kan jeg hjælpe med?"}]
    _status, answer = citizen.say("hallo?")
    assert answer["messages"][0]["text"] == "Hvad kan jeg hjælpe med?" and "live" not in answer
    assert [e for _c, e, _t in rasa.events] == [RESUME]
    assert ("closed", {}) in citizen.stream(made["answer"]["live"]["room"])


def test_without_javascript_the_caseworker_writes_with_the_form(handoff_app, live_chat):
    worker, _id, _citizen, made = live_chat
    room = made["answer"]["live"]["room"]
    page = f"/personale/chat/{made['reference']}"
    html = worker.get(page).get_data(as_text=True)
    assert f'action="/live/rooms/{room}/messages"' in html and "Afslut chatten" in html
    sent = worker.post(f"/live/rooms/{room}/messages", data={
        "csrf_token": token(worker, page), "next": page, "lang": "da",
        "body": "Hej fra formularen"})
    assert sent.status_code == 303 and sent.headers["Location"].startswith(page)
    assert room_messages(handoff_app, room) == [("staff", "Hej fra formularen")]
    assert "Hej fra formularen" in text_of(worker.get(page).get_data(as_text=True))


def test_retention_ends_a_forgotten_chat_and_forgets_its_conversation_id(
        handoff_app, rasa, live_chat):
    import datetime as dt

    from portal import retention
    from portal.core.models import utcnow

    _worker, _id, citizen, made = live_chat
    room = made["answer"]["live"]["room"]
    citizen.say("Er der nogen?")
    later = utcnow() + dt.timedelta(hours=13)
    with handoff_app.app_context():
        assert retention.run(later).handoffs_ended >= 1
    assert handoff_of(handoff_app, made["reference"]).ended_at is not None
    assert ("closed", {}) in citizen.stream(room)
    days = handoff_app.config["ANONYMOUS_CHAT_RETENTION_DAYS"]
    with handoff_app.app_context():
        retention.run(later + dt.timedelta(days=days, minutes=1))
    assert handoff_of(handoff_app, made["reference"]).conversation_id == ""
    assert room_messages(handoff_app, room) == []
