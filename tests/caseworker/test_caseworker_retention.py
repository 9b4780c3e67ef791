"""`flask retention run` for the intake: unfinished drafts, anonymous chats (handed-over
live chats and transcripts), closed intakes — each after its own period, not before."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal import retention
from portal.core import audit
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.intake import service as intakes
from portal.intake.models import IntakeDraft
from portal.livechat import service as livechat
from portal.livechat.models import RoomMessage
from portal.staff import service as staff
from tests.caseworker.helpers import STORY, make_intake, transcript_text_id

MINUTE = dt.timedelta(minutes=1)


def test_unfinished_drafts_go_after_their_days(cw_app):
    days = cw_app.config["INTAKE_DRAFT_RETENTION_DAYS"]
    now = utcnow()
    with cw_app.app_context():
        draft = IntakeDraft(key_hash="f" * 64, step="story", data={"story": STORY},
                            created_at=now, updated_at=now)
        db.session.add(draft)
        db.session.commit()
        draft_id = draft.id
        retention.run(now + dt.timedelta(days=days) - MINUTE)
        assert db.session.get(IntakeDraft, draft_id) is not None
        result = retention.run(now + dt.timedelta(days=days) + MINUTE)
        assert result.drafts_deleted >= 1
        assert db.session.get(IntakeDraft, draft_id) is None


def test_a_chat_transcript_goes_after_the_anonymous_chat_days(cw_app):
    days = cw_app.config["ANONYMOUS_CHAT_RETENTION_DAYS"]
    now = utcnow()
    reference = make_intake(cw_app, consents=[transcript_text_id(cw_app)], channel="chat",
                            transcript="Borger: hjælp", now=now)
    with cw_app.app_context():
        retention.run(now + dt.timedelta(days=days) - MINUTE)
        assert intakes.by_reference(reference).transcript == "Borger: hjælp"
        retention.run(now + dt.timedelta(days=days) + MINUTE)
        item = intakes.by_reference(reference)
        assert item.transcript is None
        assert item.summary  # the summary is not the chat: it stays with the intake
        assert item.consents  # the consent record stays


def test_a_handed_over_live_chat_keeps_its_own_period(cw_app):
    days = cw_app.config["ANONYMOUS_CHAT_RETENTION_DAYS"]
    session_days = cw_app.config["SESSION_MESSAGE_RETENTION_DAYS"]
    assert days > session_days
    now = utcnow()
    with cw_app.app_context():
        room = livechat.open_room("handoff")
        db.session.commit()
        livechat.post(room, "citizen", "Jeg vil gerne tale med en")
        livechat.close_rooms([room.id], now)
        room_id = room.id

        def kept() -> int:
            return db.session.scalar(select(func.count()).select_from(RoomMessage).where(
                RoomMessage.room_id == room_id))

        retention.run(now + dt.timedelta(days=session_days) + MINUTE)
        assert kept() == 1  # not the booked sessions' period
        retention.run(now + dt.timedelta(days=days) - MINUTE)
        assert kept() == 1
        retention.run(now + dt.timedelta(days=days) + MINUTE)
        assert kept() == 0


def test_a_closed_intake_loses_its_personal_data_and_keeps_consents_and_history(cw_app):
    days = cw_app.config["CLOSED_INTAKE_RETENTION_DAYS"]
    reference = make_intake(cw_app, consents=[transcript_text_id(cw_app)], channel="chat",
                            transcript="Borger: hjælp")
    now = utcnow()
    with cw_app.app_context():
        item = intakes.by_reference(reference)
        intakes.add_information(item, "Jeg er flyttet til Stenløse")
        member = staff.get_unit("egedal-css").members[0]
        intakes.accept(item, member)
        intakes.log_contact(item, member.id, "phone", "Talte om hans drikkeri")
        intakes.close(item, member.id, "Hjulpet videre til rådgivning", now)
        audit.record(member.id, member.email, "close", "intake", reference)
        db.session.commit()

        retention.run(now + dt.timedelta(days=days) - MINUTE)
        assert intakes.by_reference(reference).story == STORY

        result = retention.run(now + dt.timedelta(days=days) + MINUTE)
        assert result.intakes_anonymised >= 1
        item = intakes.by_reference(reference)
        assert (item.story, item.goals, item.summary, item.contact, item.needs,
                item.transcript) == ("", "", "", {}, [], None)
        assert all(event.note == "" for event in item.events)
        kinds = [event.kind for event in item.events]
        assert kinds[0] == "received" and "accepted" in kinds and "closed" in kinds
        assert item.consents[0].text_hash and item.consents[0].given_at
        assert item.reference == reference and item.status == "closed"
        assert audit.entries_for("intake", reference)  # never changed
        again = retention.run(now + dt.timedelta(days=days) + MINUTE)
        assert again.intakes_anonymised == 0  # safe to repeat


def test_an_open_intake_is_never_anonymised(cw_app):
    days = cw_app.config["CLOSED_INTAKE_RETENTION_DAYS"]
    reference = make_intake(cw_app)
    with cw_app.app_context():
        retention.run(utcnow() + dt.timedelta(days=days * 3))
        assert intakes.by_reference(reference).story == STORY
