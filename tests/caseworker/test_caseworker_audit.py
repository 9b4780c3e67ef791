"""The audit log (every view of personal data and every action, append-only), the
export of everything held about an intake, and no personal data in the logs."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from portal.caseworker import service
from portal.core import audit
from portal.core.extensions import db
from portal.intake import service as intakes
from portal.outbox import service as outbox
from portal.outbox.senders import SendError
from portal.staff import service as staff
from tests.caseworker.helpers import (
    EMAIL,
    INBOX,
    PHONE,
    STORY,
    caseworker,
    consent_ids,
    make_intake,
    page,
)
from tests.staff.helpers import text_of, token


def actions(app, reference: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.staff_email, e.action) for e in audit.entries_for("intake", reference)]


def test_views_and_actions_are_audit_logged(cw_app):
    reference = make_intake(cw_app)
    client, me, email = caseworker(cw_app)
    client.get(INBOX)
    with cw_app.app_context():
        inbox_entries = audit.entries_for("inbox", str(me))
    assert inbox_entries and reference in inbox_entries[-1].detail
    client.get(page(reference))
    csrf = token(client, page(reference))
    client.post(page(reference, "/modtag"), data={"csrf_token": csrf})
    client.post(page(reference, "/kontakt"), data={"csrf_token": csrf, "method": "phone"})
    client.get(page(reference, "/eksport"))
    client.post(page(reference, "/luk"), data={"csrf_token": csrf, "reason": "Færdig"})
    done = [a for who, a in actions(cw_app, reference) if who == email]
    for action in ("view", "accept", "log_contact", "export", "close"):
        assert action in done


def test_the_coordinator_sees_who_looked_and_others_do_not(cw_app):
    reference = make_intake(cw_app)
    mine, _me, _my_email = caseworker(cw_app)
    colleague, _id, colleague_email = caseworker(cw_app)
    colleague.get(page(reference))
    mine.post(page(reference, "/modtag"), data={"csrf_token": token(mine, page(reference))})
    html = text_of(mine.get(page(reference)).get_data(as_text=True))
    assert ("Who looked at this intake" in html or "Hvem har set" in html)
    assert colleague_email in html
    other = text_of(colleague.get(page(reference)).get_data(as_text=True))
    assert "Who looked at this intake" not in other and "Hvem har set" not in other


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'nothing'",
                                       "DELETE FROM audit_log"])
def test_the_audit_log_cannot_be_changed_or_deleted(cw_app, statement):
    make_intake(cw_app)
    client, me, _email = caseworker(cw_app)
    client.get(INBOX)
    with cw_app.app_context():
        before = db.session.execute(text("SELECT count(*) FROM audit_log")).scalar()
        assert before > 0
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
        assert db.session.execute(text("SELECT count(*) FROM audit_log")).scalar() == before
        assert db.session.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'nothing'")).scalar() == 0


def test_the_export_holds_everything_and_is_not_cached(cw_app):
    given = consent_ids(cw_app)[:1]
    reference = make_intake(cw_app, consents=given)
    client, _me, email = caseworker(cw_app)
    client.post(page(reference, "/modtag"), data={"csrf_token": token(client, page(reference))})
    response = client.get(page(reference, "/eksport"))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["intake"]["reference"] == reference
    assert data["intake"]["story"] == STORY
    assert data["intake"]["contact"]["email"] == EMAIL
    assert data["caseworker"]["email"] == email
    assert data["team"]["slug"] == "egedal-css"
    assert len(data["consents"]) == 1 and data["consents"][0]["text"]["text"]
    assert [e["kind"] for e in data["events"]][:2] == ["received", "accepted"]
    assert "export" in [a["action"] for a in data["audit"]]
    assert "code_hash" not in json.dumps(data)


def test_the_export_rule_is_the_same_service_for_other_callers(cw_app):
    reference = make_intake(cw_app)
    with cw_app.app_context():
        data = intakes.export(intakes.by_reference(reference))
    assert set(data) >= {"intake", "consents", "events", "chat_messages", "audit"}


class Unreachable:
    def send(self, message) -> None:
        raise SendError("connection refused")


def test_no_personal_data_in_the_logs(cw_app, caplog, monkeypatch):
    # Alembic's logging setup (the migration) disables the loggers that existed before it.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".")[0] in ("portal", "flask",
                                                                          "werkzeug"):
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG)
    reference = make_intake(cw_app)
    client, _me, _email = caseworker(cw_app)
    client.get(INBOX)
    client.get(page(reference))
    client.post(page(reference, "/modtag"), data={"csrf_token": token(client, page(reference))})
    client.get(page(reference, "/eksport"))
    with cw_app.app_context():
        member = staff.get_member(_me)
        service.export(member, intakes.by_reference(reference))
        # The outbox logs what it could not send (the team's and the citizen's e-mails).
        outbox.drain({"email": Unreachable(), "sms": Unreachable()})
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert reference in logged  # the e-mails' keys were logged: the test looks at real logs
    for secret in (STORY, EMAIL, PHONE, "At han får det bedre"):
        assert secret not in logged
