"""The session: the citizen opens it with the code, the treater from their day; the chat
between them (sending with and without JavaScript, the stream of new messages), who
may read and write it, and when."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat import service as livechat
from portal.livechat.models import CITIZEN, STAFF
from tests.staff.helpers import (
    browser,
    make_booking,
    open_session,
    text_of,
    token,
    treater_client,
)


def events(client, room: int, after: int = 0, lang: str = "en", **headers) -> list[tuple]:
    """Read a whole stream (it ends after LIVECHAT_STREAM_SECONDS): (event, data, id)."""
    response = client.get(f"/live/rooms/{room}/events?lang={lang}&after={after}",
                          headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    found = []
    for block in response.get_data(as_text=True).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"]),
                          int(fields["id"]) if "id" in fields else None))
    return found


def send_json(client, room: int, body, lang: str = "en", page: str = "/en/staff/day"):
    return client.post(f"/live/rooms/{room}/messages", json={"body": body, "lang": lang},
                       headers={"X-CSRFToken": token(client, page)})


@pytest.fixture()
def session_now(live_app):
    """A chat session going on now: (treater's browser, citizen's browser, reference,
    room id), each browser on its session page."""
    treater, treater_id = treater_client(live_app)
    reference, code, room = make_booking(live_app, treater_id)
    citizen = browser(live_app)
    open_session(citizen, reference, code)
    assert citizen.get(f"/en/session/{reference}").status_code == 200
    assert treater.get(f"/en/staff/session/{reference}").status_code == 200
    return treater, citizen, reference, room


# --- opening the session --------------------------------------------------------------------


def test_the_session_page_asks_for_the_code_and_opens_with_it(live_app):
    _treater, treater_id = treater_client(live_app)
    reference, code, _room = make_booking(live_app, treater_id)
    citizen = browser(live_app)
    page = citizen.get(f"/en/session/{reference}").get_data(as_text=True)
    assert 'name="code"' in page and "data-live-room" not in page
    assert reference in text_of(page)
    wrong = citizen.post(f"/en/session/{reference}",
                         data={"csrf_token": token(citizen, f"/en/session/{reference}"),
                               "code": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 400
    unknown = citizen.post("/en/session/ZZZZ-ZZZZ",
                           data={"csrf_token": token(citizen, "/en/session/ZZZZ-ZZZZ"),
                                 "code": code})
    assert unknown.status_code == 400
    message = "The reference and the code do not match."
    assert message in text_of(wrong.get_data(as_text=True))
    assert message in text_of(unknown.get_data(as_text=True))  # the same: nothing to probe
    # The code as people type it: small letters, no dashes.
    right = citizen.post(f"/en/session/{reference.lower()}",
                         data={"csrf_token": token(citizen, f"/en/session/{reference}"),
                               "code": code.replace("-", "").lower()})
    assert right.status_code == 303 and right.headers["Location"] == f"/en/session/{reference}"
    page = citizen.get(f"/en/session/{reference}").get_data(as_text=True)
    assert "data-live-room" in page and 'role="log"' in page and 'aria-live="polite"' in page
    assert '<label class="form-label" for="live-input">Message to your treater</label>' in page
    assert code not in page  # the code is never shown again


def test_wrong_codes_are_limited(live_app):
    _treater, treater_id = treater_client(live_app)
    reference, code, _room = make_booking(live_app, treater_id)
    citizen = browser(live_app)
    url = f"/en/session/{reference}"
    statuses = [citizen.post(url, data={"csrf_token": token(citizen, url),
                                        "code": f"AAAA-BBBB-CCCC-{i:04d}"}).status_code
                for i in range(6)]
    assert statuses[-1] == 429
    blocked = citizen.post(url, data={"csrf_token": token(citizen, url), "code": code})
    assert blocked.status_code == 429  # even the right code waits now
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts." in text_of(blocked.get_data(as_text=True))


def test_before_the_time_the_page_says_when_and_the_chat_is_closed(live_app):
    _treater, treater_id = treater_client(live_app)
    start = utcnow().replace(microsecond=0) + dt.timedelta(hours=2)
    reference, code, room = make_booking(live_app, treater_id, start)
    citizen = browser(live_app)
    open_session(citizen, reference, code)
    page = citizen.get(f"/en/session/{reference}").get_data(as_text=True)
    assert "Your session starts" in text_of(page)
    assert "The chat opens 10 minutes before" in text_of(page)
    assert "data-live-room" not in page and "data-live-opens-at" in page
    assert send_json(citizen, room, "Hello?", page=f"/en/session/{reference}").status_code == 403
    assert citizen.get(f"/live/rooms/{room}/events").status_code == 403


def test_video_and_phone_sessions_say_how_and_when(live_app):
    _treater, treater_id = treater_client(live_app, unit="bostoette-holstebro")
    video, video_code, _ = make_booking(live_app, treater_id, channel="video",
                                        offer="virtuel-bostoette-holstebro")
    phone, phone_code, _ = make_booking(live_app, treater_id, utcnow() + dt.timedelta(hours=4),
                                        channel="phone", phone="+4512345678",
                                        offer="virtuel-bostoette-holstebro")
    citizen = browser(live_app)
    open_session(citizen, video, video_code)
    open_session(citizen, phone, phone_code)
    page = text_of(citizen.get(f"/en/session/{video}").get_data(as_text=True))
    assert "The treatment centre sends you the link to the meeting" in page
    live_app.config["VIDEO_BASE_URL"] = "https://video.example/m"
    try:
        html = citizen.get(f"/en/session/{video}").get_data(as_text=True)
        assert f'href="https://video.example/m/{video}"' in html
    finally:
        live_app.config["VIDEO_BASE_URL"] = ""
    page = text_of(citizen.get(f"/en/session/{phone}").get_data(as_text=True))
    assert "The treater calls you on the phone number you gave" in page
    assert "+4512345678" not in page  # not shown back on a page


def test_closing_on_this_device_asks_for_the_code_again(session_now):
    _treater, citizen, reference, room = session_now
    page = f"/en/session/{reference}"
    response = citizen.post(f"/en/session/{reference}/forget",
                            data={"csrf_token": token(citizen, page)})
    assert response.status_code == 303
    assert 'name="code"' in citizen.get(page).get_data(as_text=True)
    assert send_json(citizen, room, "still here?", page=page).status_code == 403


# --- the chat ---------------------------------------------------------------------------------


def test_messages_go_both_ways_and_arrive_on_the_stream(session_now):
    treater, citizen, reference, room = session_now
    sent = send_json(citizen, room, "Hej, jeg er her", lang="da",
                     page=f"/samtale/{reference}")
    assert sent.status_code == 201
    message = sent.get_json()["message"]
    assert message["sender"] == CITIZEN and message["body"] == "Hej, jeg er her"
    answer = send_json(treater, room, "Velkommen. Hvordan går det?")
    assert answer.status_code == 201
    got = events(treater, room)
    assert [(e, d["sender"], d["body"]) for e, d, _id in got] == [
        ("message", CITIZEN, "Hej, jeg er her"),
        ("message", STAFF, "Velkommen. Hvordan går det?")]
    assert got[0][2] == message["id"]  # the event id: where a reconnect resumes
    # Resuming after the first message (the browser's Last-Event-ID) gives the rest only.
    resumed = events(citizen, room, **{"Last-Event-ID": str(message["id"])})
    assert [d["body"] for _e, d, _id in resumed] == ["Velkommen. Hvordan går det?"]
    # And both pages show the conversation without JavaScript.
    for client, url in [(treater, f"/en/staff/session/{reference}"),
                        (citizen, f"/en/session/{reference}")]:
        page = text_of(client.get(url).get_data(as_text=True))
        assert "Hej, jeg er her" in page and "Velkommen. Hvordan går det?" in page


def test_a_message_from_another_process_wakes_the_stream(session_now, live_app):
    """The hub polls the database: a message written by another process (here: another
    thread, without telling the hub) still reaches an open stream before it ends."""
    treater, _citizen, _reference, room = session_now

    def write_later():
        time.sleep(0.5)
        with live_app.app_context():
            livechat.post(livechat.get_room(room), CITIZEN, "Skrevet et andet sted")

    writer = threading.Thread(target=write_later)
    writer.start()
    got = events(treater, room)
    writer.join()
    assert [d["body"] for _e, d, _id in got] == ["Skrevet et andet sted"]


def test_sending_without_javascript(session_now):
    treater, citizen, reference, room = session_now
    page = f"/en/session/{reference}"
    sent = citizen.post(f"/live/rooms/{room}/messages", data={
        "csrf_token": token(citizen, page), "body": "Uden JavaScript", "lang": "en",
        "next": page})
    assert sent.status_code == 303
    assert sent.headers["Location"] == page + "#live-form"
    assert "Uden JavaScript" in text_of(treater.get(f"/en/staff/session/{reference}")
                                        .get_data(as_text=True))
    # An empty message: the page says so.
    empty = citizen.post(f"/live/rooms/{room}/messages", data={
        "csrf_token": token(citizen, page), "body": "   ", "lang": "en", "next": page})
    assert empty.status_code == 303
    assert "Write a message first." in text_of(citizen.get(page).get_data(as_text=True))
    # An off-site `next` is not followed.
    away = citizen.post(f"/live/rooms/{room}/messages", data={
        "csrf_token": token(citizen, page), "body": "x", "next": "//evil.example/"})
    assert away.headers["Location"] == "/#live-form"


def test_a_refused_message_is_given_back(session_now, live_app):
    """The conversation ended while the citizen wrote: the text is not lost."""
    _treater, citizen, reference, room = session_now
    page = f"/en/session/{reference}"
    csrf = token(citizen, page)
    with live_app.app_context():
        livechat.close_rooms([room])
    response = citizen.post(f"/live/rooms/{room}/messages", data={
        "csrf_token": csrf, "body": "Mit lange svar", "lang": "en", "next": page})
    assert response.status_code == 303
    text = text_of(citizen.get(page).get_data(as_text=True))
    assert "The conversation has ended: your message was not sent." in text
    assert "Mit lange svar" in text


def test_what_is_refused_is_said_in_the_users_language(session_now):
    _treater, citizen, reference, room = session_now
    page = f"/en/session/{reference}"
    for body, status, message in [
            ("", 400, "Write a message first."), (None, 400, "Write a message first."),
            (["a list"], 400, "Write a message first."),
            ("x" * 2001, 400, "The message is too long: at most 2000 characters.")]:
        response = send_json(citizen, room, body, page=page)
        assert response.status_code == status
        assert response.get_json()["message"] == message
    danish = send_json(citizen, room, "", lang="da", page=page).get_json()["message"]
    assert danish != "Write a message first." and danish
    assert send_json(citizen, room, "x" * 2000, page=page).status_code == 201
    # Not JSON at all: a clear 400, never a 500.
    broken = citizen.post(f"/live/rooms/{room}/messages", data="{not json",
                          headers={"X-CSRFToken": token(citizen, page),
                                   "Content-Type": "application/json"})
    assert broken.status_code == 400


def test_too_many_messages_too_fast(session_now, live_app):
    _treater, citizen, reference, room = session_now
    page = f"/en/session/{reference}"
    limit = int(live_app.config["LIVECHAT_RATE_LIMIT"].split("/")[0])
    for i in range(limit):
        assert send_json(citizen, room, f"besked {i}", page=page).status_code == 201
    slow_down = send_json(citizen, room, "en til", page=page)
    assert slow_down.status_code == 429
    assert "very fast" in slow_down.get_json()["message"]


def test_nobody_else_can_read_or_write_the_conversation(session_now, live_app):
    treater, citizen, reference, room = session_now
    send_json(citizen, room, "Privat", page=f"/en/session/{reference}")
    stranger = browser(live_app)
    assert stranger.get(f"/live/rooms/{room}/events").status_code == 403
    assert send_json(stranger, room, "hi", page="/en/").status_code == 403
    # Another citizen, let into their own session, cannot use this room.
    _other_treater, other_id = treater_client(live_app)
    other_ref, other_code, other_room = make_booking(live_app, other_id)
    other = browser(live_app)
    open_session(other, other_ref, other_code)
    other.get(f"/en/session/{other_ref}")
    assert other.get(f"/live/rooms/{room}/events").status_code == 403
    assert send_json(other, room, "hi", page=f"/en/session/{other_ref}").status_code == 403
    assert other.get(f"/en/session/{reference}").status_code == 200  # only the code form
    assert "Privat" not in other.get(f"/en/session/{reference}").get_data(as_text=True)
    # Another treater cannot open it either, and so gets no grant.
    assert _other_treater.get(f"/en/staff/session/{reference}").status_code == 404
    assert _other_treater.get(f"/live/rooms/{room}/events").status_code == 403
    for bad in ["0", "x", "1" * 12]:
        assert stranger.get(f"/live/rooms/{bad}/events").status_code == 403


def test_signing_out_everywhere_ends_the_treaters_access(session_now, live_app):
    treater, _citizen, reference, room = session_now
    with treater.session_transaction() as session:
        login_id = session["_user_id"]
    with live_app.app_context():
        from portal.staff import service as staff

        staff.sign_out_everywhere(staff.member_by_login_id(login_id))
    assert treater.get(f"/live/rooms/{room}/events").status_code == 403
    assert send_json(treater, room, "hi", page="/en/").status_code == 403


def test_signing_out_everywhere_ends_an_open_stream(session_now, live_app):
    """The stream checks the treater's sign-in again each time it wakes (a keep-alive
    too): another browser's "sign out everywhere" ends it."""
    treater, _citizen, _reference, room = session_now
    with treater.session_transaction() as session:
        login_id = session["_user_id"]

    def sign_out_elsewhere():
        time.sleep(0.3)
        with live_app.app_context():
            from portal.staff import service as staff

            staff.sign_out_everywhere(staff.member_by_login_id(login_id))

    other = threading.Thread(target=sign_out_elsewhere)
    other.start()
    got = events(treater, room)
    other.join()
    assert [name for name, _data, _id in got] == ["forbidden"]


def test_the_stream_says_when_the_conversation_ends(session_now, live_app):
    treater, citizen, reference, room = session_now
    url = f"/en/staff/session/{reference}/attendance"
    treater.post(url, data={"csrf_token": token(treater, "/en/staff/day"),
                            "status": "attended"})
    assert events(citizen, room)[-1][0] == "closed"
    refused = send_json(citizen, room, "Tak", page=f"/en/session/{reference}")
    assert refused.status_code == 409
    page = citizen.get(f"/en/session/{reference}").get_data(as_text=True)
    assert "data-live-form" not in page


def test_messages_are_text_never_markup(session_now):
    treater, citizen, reference, room = session_now
    send_json(citizen, room, '<script>alert("x")</script><b>fed</b>',
              page=f"/en/session/{reference}")
    html = treater.get(f"/en/staff/session/{reference}").get_data(as_text=True)
    assert "<b>fed</b>" not in html and "&lt;b&gt;fed&lt;/b&gt;" in html
    assert '<script>alert("x")</script>' not in html


def test_a_grant_ends_with_the_session(session_now, live_app):
    """After the session and its grace time, the chat takes no more messages, even
    before the retention closes its room."""
    _treater, citizen, reference, room = session_now
    with live_app.app_context():
        from portal.booking import service

        booking = service.by_reference(reference)
        booking.starts_at -= dt.timedelta(hours=3)
        booking.ends_at -= dt.timedelta(hours=3)
        db.session.commit()
    page = citizen.get(f"/en/session/{reference}").get_data(as_text=True)
    assert "data-live-form" not in page
    assert send_json(citizen, room, "sent", page=f"/en/session/{reference}").status_code == 409
