"""`flask retention run`: the chats of ended sessions are closed, their messages deleted
SESSION_MESSAGE_RETENTION_DAYS later (and no others), sent e-mails and SMS after
OUTBOX_RETENTION_DAYS. Time passes by giving `run` a later "now"."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import retention
from portal.booking import service
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat import service as livechat
from portal.livechat.models import CITIZEN, STAFF
from portal.outbox import service as outbox
from portal.outbox.models import SENT, OutboxMessage
from tests.booking.own_db import booking_app
from tests.staff.helpers import make_booking, new_member


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Its own database: `run` with a "now" days ahead touches every session in it."""
    app = booking_app(tmp_path_factory, "retention")
    yield app
    with app.app_context():
        db.engine.dispose()


def conversation(app, starts_at: dt.datetime) -> tuple[str, int]:
    treater_id, _ = new_member(app)
    reference, _code, room = make_booking(app, treater_id, starts_at)
    with app.app_context():
        livechat.post(livechat.get_room(room), CITIZEN, "Hej")
        livechat.post(livechat.get_room(room), STAFF, "Hej med dig", staff_id=treater_id)
    return reference, room


def messages(app, room: int) -> int:
    with app.app_context():
        return len(livechat.messages_after(room))


def closed(app, room: int) -> bool:
    with app.app_context():
        return livechat.get_room(room).closed_at is not None


def test_ended_sessions_are_closed_and_their_messages_deleted_after_the_retention(app):
    now = utcnow()
    days = app.config["SESSION_MESSAGE_RETENTION_DAYS"]
    _ended, ended_room = conversation(app, now - dt.timedelta(hours=3))
    _overrun, overrun_room = conversation(app, now - dt.timedelta(minutes=45))  # grace
    _coming, coming_room = conversation(app, now + dt.timedelta(days=days + 2))
    cancelled, cancelled_room = conversation(app, now + dt.timedelta(days=3))
    with app.app_context():
        service.cancel(service.by_reference(cancelled))

        result = retention.run(now)
    assert result.rooms_closed == 2
    assert closed(app, ended_room) and closed(app, cancelled_room)
    assert not closed(app, overrun_room) and not closed(app, coming_room)
    assert result.messages_deleted == 0  # closed just now: kept for the retention days
    assert messages(app, ended_room) == 2

    with app.app_context():
        almost = retention.run(now + dt.timedelta(days=days) - dt.timedelta(minutes=1))
    assert almost.messages_deleted == 0 and messages(app, ended_room) == 2
    # The overrun session has ended too by now: closed at that run.
    assert closed(app, overrun_room)

    with app.app_context():
        later = retention.run(now + dt.timedelta(days=days, minutes=1))
    assert later.messages_deleted == 4  # the ended and the cancelled conversation
    assert messages(app, ended_room) == 0 and messages(app, cancelled_room) == 0
    assert messages(app, overrun_room) == 2  # closed a day later: its days are not over
    assert messages(app, coming_room) == 2  # the session to come keeps everything
    assert not closed(app, coming_room)
    with app.app_context():
        assert retention.run(now + dt.timedelta(days=days, minutes=1)) == retention.Result(
            0, 0, 0)  # safe to repeat


def test_sent_mail_is_deleted_after_its_days_and_pending_mail_never(app):
    now = utcnow()
    days = app.config["OUTBOX_RETENTION_DAYS"]
    with app.app_context():
        old = outbox.queue("retention-test:old", "email", "a@test.invalid", "s", "b")
        old.status, old.sent_at = SENT, now
        waiting = outbox.queue("retention-test:pending", "sms", "+4511111111", "", "b",
                               send_after=now + dt.timedelta(days=days + 5))
        db.session.commit()
        old_id, waiting_id = old.id, waiting.id
        retention.run(now + dt.timedelta(days=days) - dt.timedelta(minutes=1))
        assert db.session.get(OutboxMessage, old_id) is not None
        result = retention.run(now + dt.timedelta(days=days, minutes=1))
        assert result.outbox_deleted >= 1
        assert db.session.get(OutboxMessage, old_id) is None
        assert db.session.get(OutboxMessage, waiting_id) is not None


def test_the_command(app):
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("retention: ")
    assert "chat message(s) deleted" in result.output
