"""Everything held about one intake, as one JSON-ready dict (GDPR art. 15 and 20: the
citizen's right of access, and the caseworker's "export everything held about this
intake"): the intake's fields, each consent with the exact text it was given with, the
history, the live chat's messages if it had one, and the audit entries about it.

The code's hash is left out: it is a secret's fingerprint, not information about the
person.
"""

from __future__ import annotations

import datetime as dt

from portal.core import audit
from portal.core.models import utcnow
from portal.intake.models import Intake
from portal.livechat import service as livechat
from portal.staff import service as staff

FORMAT = "indgang-intake-export/1"
INTAKE_FIELDS = (
    "reference", "status", "channel", "lang", "municipality", "asker", "authority",
    "situations", "story", "goals", "agencies", "agencies_other", "contact", "needs",
    "urgency", "summary", "transcript", "created_at", "contact_due_at", "accepted_at",
    "first_contact_at", "closed_at",
)


def _value(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _units() -> dict[int, dict]:
    return {u.id: {"slug": u.slug, "name": u.name} for u in staff.teams()}


def _member(member_id: int | None) -> dict | None:
    member = staff.get_member(member_id) if member_id is not None else None
    return {"name": member.name, "email": member.email} if member else None


def export(intake: Intake) -> dict:
    """The contract: `{"format", "exported_at", "intake", "team", "caseworker",
    "consents", "events", "chat_messages", "audit"}`."""
    units = _units()
    messages = []
    if intake.room_id is not None:
        after = 0
        while batch := livechat.messages_after(intake.room_id, after, limit=500):
            messages += [{"sender": m.sender, "body": m.body,
                          "created_at": m.created_at.isoformat()} for m in batch]
            after = batch[-1].id
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "intake": {name: _value(getattr(intake, name)) for name in INTAKE_FIELDS},
        "team": units.get(intake.team_id),
        "caseworker": _member(intake.caseworker_id),
        "consents": [{
            "id": c.id, "key": c.key, "version": c.version, "lang": c.lang,
            "channel": c.channel, "given_by": c.given_by, "capacity": c.capacity,
            "given_at": _value(c.given_at), "withdrawn_at": _value(c.withdrawn_at),
            "text_hash": c.text_hash,
            "text": {"purpose": c.consent_text.purpose, "info_types": c.consent_text.info_types,
                     "parties": c.consent_text.parties, "text": c.consent_text.text,
                     "refusal": c.consent_text.refusal},
        } for c in intake.consents],
        "events": [{
            "kind": e.kind, "created_at": _value(e.created_at), "note": e.note,
            "staff": _member(e.staff_id), "from_team": units.get(e.from_team_id),
            "to_team": units.get(e.to_team_id),
        } for e in intake.events],
        "chat_messages": messages,
        "audit": [{
            "at": _value(a.at), "staff_email": a.staff_email, "action": a.action,
            "detail": a.detail,
        } for a in audit.entries_for("intake", intake.reference)],
    }
