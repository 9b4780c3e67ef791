"""Who is available for a live chat: a caseworker of the team who said so AND whose chat
page was seen open lately (a page load, or the page's stream); signing out ends it."""

from __future__ import annotations

import datetime as dt

from portal.chat import handoff as handoffs
from portal.chat.models import Availability
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.staff import service as staff
from tests.handoff.helpers import (
    CSS,
    JOBCENTER,
    caseworker,
    events,
    post_handoff,
    set_available,
)
from tests.staff.helpers import new_member, text_of, token


def available_ids(app, unit: str) -> set[int]:
    with app.app_context():
        found = {m.id for m in handoffs.available_caseworkers(staff.get_unit(unit).id)}
        db.session.rollback()
        return found


def seen_ago(app, member_id: int, seconds: int) -> None:
    with app.app_context():
        row = db.session.get(Availability, member_id)
        row.seen_at = utcnow() - dt.timedelta(seconds=seconds)
        db.session.commit()


def test_the_page_is_in_the_staff_menu_and_says_whether_you_are_available(handoff_app):
    client, _id = caseworker(handoff_app, lang="en")
    page = client.get("/en/staff/chat")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/en/staff/chat" aria-current="page"' in html
    assert "You are not available for chat" in text_of(html)
    assert set_available(client, lang="en").status_code == 303
    assert "You are available for chat" in text_of(client.get("/en/staff/chat")
                                                     .get_data(as_text=True))


def test_only_a_caseworker_who_said_so_and_was_seen_lately_is_available(handoff_app):
    client, member_id = caseworker(handoff_app, JOBCENTER)
    client.get("/personale/chat")  # seen, but not available
    assert member_id not in available_ids(handoff_app, JOBCENTER)
    set_available(client)
    assert member_id in available_ids(handoff_app, JOBCENTER)
    window = handoff_app.config["CHAT_AVAILABLE_SECONDS"]
    seen_ago(handoff_app, member_id, window + 5)  # the page was closed a while ago
    assert member_id not in available_ids(handoff_app, JOBCENTER)
    body = post_handoff(handoff_app, conversation_id="closed-tab",
                        situations=["work-education"]).get_json()
    assert body["live"] is False  # nobody is put through to a closed page
    client.get("/personale/chat")  # loading the page counts (without JavaScript)
    assert member_id in available_ids(handoff_app, JOBCENTER)
    set_available(client, on=False)
    assert member_id not in available_ids(handoff_app, JOBCENTER)


def test_the_open_pages_stream_keeps_the_caseworker_seen(handoff_app):
    client, member_id = caseworker(handoff_app, JOBCENTER)
    set_available(client)
    seen_ago(handoff_app, member_id, 3600)
    got = events(client, "/live/caseworker/chats?lang=da")
    assert got and got[0][0] == "chats"
    assert member_id in available_ids(handoff_app, JOBCENTER)
    set_available(client, on=False)


def test_signing_out_ends_availability(handoff_app):
    client, member_id = caseworker(handoff_app, JOBCENTER)
    set_available(client)
    assert member_id in available_ids(handoff_app, JOBCENTER)
    client.post("/personale/log-ud", data={"csrf_token": token(client, "/personale/chat")})
    assert member_id not in available_ids(handoff_app, JOBCENTER)


def test_another_teams_availability_does_not_make_a_chat_live(handoff_app):
    client, _id = caseworker(handoff_app, JOBCENTER)
    set_available(client)
    body = post_handoff(handoff_app, conversation_id="housing-only",
                        situations=["housing"]).get_json()  # goes to CSS
    assert body["live"] is False and body["team"].startswith("Center for Social Service")
    set_available(client, on=False)


def test_the_least_busy_available_caseworker_gets_the_chat(handoff_app):
    first, first_id = caseworker(handoff_app, JOBCENTER)
    second, second_id = caseworker(handoff_app, JOBCENTER)
    set_available(first)
    set_available(second)
    one = post_handoff(handoff_app, conversation_id="busy-1", situations=["work-education"])
    two = post_handoff(handoff_app, conversation_id="busy-2", situations=["work-education"])
    from tests.handoff.helpers import handoff_of

    holders = {handoff_of(handoff_app, r.get_json()["reference"]).caseworker_id
               for r in (one, two)}
    assert holders == {first_id, second_id}
    set_available(first, on=False)
    set_available(second, on=False)


def test_staff_without_the_caseworker_role_get_no_chat_page(handoff_app):
    from tests.staff.helpers import browser, sign_in

    _id, email = new_member(handoff_app)  # a treater
    client = browser(handoff_app)
    sign_in(client, email)
    assert client.get("/personale/chat").status_code == 403
    assert client.get("/live/caseworker/chats").status_code == 403


def test_the_chat_page_lists_the_teams_chats(handoff_app):
    client, _id = caseworker(handoff_app, CSS)
    set_available(client)
    body = post_handoff(handoff_app, conversation_id="listed", situations=["housing"]).get_json()
    page = text_of(client.get("/personale/chat").get_data(as_text=True))
    assert body["reference"] in page
    set_available(client, on=False)
