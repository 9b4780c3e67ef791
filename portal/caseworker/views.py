"""The caseworker's pages: their teams' inbox, the handoff page and its actions, the
consent texts as shown, and the export.

Every page needs a signed-in member with the caseworker role. Which intakes they may
see is `service.may_see` (their own teams'): any other reference — another team's or
one that does not exist — answers 404 on every URL here, so a guessed URL learns
nothing. Each view of personal data and each action is audit-logged by the service.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.caseworker import service
from portal.catalogue import service as catalogue
from portal.core.i18n import format_moment, route
from portal.core.models import utcnow
from portal.intake import service as intakes
from portal.staff import service as staff

bp = Blueprint("caseworker", __name__)
caseworker_only = staff.staff_required(staff.CASEWORKER)

BASE = {"da": "/personale/henvendelser", "en": "/en/staff/intakes"}
INBOX = BASE
INTAKE = {k: v + "/<reference>" for k, v in BASE.items()}
ACCEPT = {"da": INTAKE["da"] + "/modtag", "en": INTAKE["en"] + "/accept"}
HAND_OVER = {"da": INTAKE["da"] + "/overdrag", "en": INTAKE["en"] + "/hand-over"}
CONTACT = {"da": INTAKE["da"] + "/kontakt", "en": INTAKE["en"] + "/contact"}
CLOSE = {"da": INTAKE["da"] + "/luk", "en": INTAKE["en"] + "/close"}
EXPORT = {"da": INTAKE["da"] + "/eksport", "en": INTAKE["en"] + "/export"}
CONSENT_TEXT = {"da": INTAKE["da"] + "/samtykke/<consent_id>",
                "en": INTAKE["en"] + "/consent/<consent_id>"}

REFUSALS = {
    "taken": _l("Another caseworker accepted this intake just before you. It is theirs now."),
    "not_received": _l("This intake cannot be accepted as it stands."),
    "not_coordinator": _l("Only the coordinating caseworker can do that."),
    "closed": _l("The intake is closed."),
}


def _untypable() -> str:
    """The same words as the citizen's intake uses."""
    return _("The text may only hold letters, digits, spaces and punctuation.")


def init_app(app) -> None:
    app.register_blueprint(bp)
    staff.register_page(app, "caseworker.inbox", _l("Intakes"), staff.CASEWORKER)


def _me():
    return staff.current_member()


def _visible(reference: str):
    intake = service.visible_intake(_me(), reference)
    if intake is None:
        abort(404)
    return intake


# --- the inbox ------------------------------------------------------------------------


@route(bp, INBOX)
@caseworker_only
def inbox(lang: str):
    now = utcnow()
    box = service.inbox(_me(), now)
    return render_template(
        "caseworker/inbox.html", box=box, now=now, overdue=intakes.is_overdue,
        situation_names=_situation_names(lang), moment=lambda m: format_moment(m, lang),
        teams=service.team_names(service.team_ids(_me())),
        names=service.member_names({i.caseworker_id for i in box.others if i.caseworker_id}))


def _situation_names(lang: str) -> dict[str, str]:
    return {s.slug: s.text(lang).name for s in catalogue.list_situations()}


# --- the handoff page -------------------------------------------------------------------


def _page(lang: str, intake, errors: dict | None = None, form: dict | None = None,
          status: int = 200):
    me = _me()
    now = utcnow()
    show_transcript = service.transcript_visible(intake)
    service.record_view(me, intake, "view", "transcript" if show_transcript else "")
    staff_ids = {e.staff_id for e in intake.events if e.staff_id}
    if intake.caseworker_id:
        staff_ids.add(intake.caseworker_id)
    team_ids = {e.from_team_id for e in intake.events} | {e.to_team_id for e in intake.events}
    municipality = catalogue.get_municipality(intake.municipality)
    return render_template(
        "caseworker/intake.html", intake=intake, now=now, errors=errors or {},
        form=form or {}, overdue=intakes.is_overdue(intake, now),
        show_transcript=show_transcript,
        transcript_withdrawn=bool(intake.transcript) and not show_transcript,
        situation_names=_situation_names(lang),
        municipality_name=municipality.text(lang).name if municipality else intake.municipality,
        names=service.member_names(staff_ids),
        teams=service.team_names({t for t in team_ids if t} | {intake.team_id}),
        can_accept=service.can_accept(me, intake), can_manage=service.can_manage(me, intake),
        is_coordinator=service.is_coordinator(me, intake),
        handover_teams=service.handover_teams(intake),
        contact_methods=service.CONTACT_METHODS,
        offers=service.suggested_offers(intake, lang),
        audit_trail=service.audit_trail(me, intake),
        moment=lambda m: format_moment(m, lang),
    ), status


@route(bp, INTAKE)
@caseworker_only
def intake_page(lang: str, reference: str):
    return _page(lang, _visible(reference))


def _back(lang: str, intake):
    return redirect(url_for("caseworker.intake_page", lang=lang, reference=intake.reference),
                    303)


@route(bp, ACCEPT, methods=["POST"])
@caseworker_only
def accept(lang: str, reference: str):
    intake = _visible(reference)
    try:
        service.accept(_me(), intake)
    except service.NotAllowed as refused:
        flash(str(REFUSALS.get(refused.code, REFUSALS["not_received"])), "info")
        return _back(lang, intake)
    flash(_("You are now the coordinating caseworker for %(reference)s.",
            reference=intake.reference), "success")
    return _back(lang, intake)


@route(bp, HAND_OVER, methods=["POST"])
@caseworker_only
def hand_over(lang: str, reference: str):
    intake = _visible(reference)
    form = {"team": request.form.get("team", "")[:80],
            "reason": request.form.get("reason", "")[:service.MAX_REASON + 1]}
    errors = {}
    if not any(t.slug == form["team"] for t in service.handover_teams(intake)):
        errors["team"] = _("Choose the team to hand the intake to.")
    if not form["reason"].strip():
        errors["reason"] = _("Write why you hand the intake over.")
    elif not service.typable(form["reason"]):
        errors["reason"] = _untypable()
    elif len(form["reason"]) > service.MAX_REASON:
        errors["reason"] = _("Write at most %(n)d characters.", n=service.MAX_REASON)
    if not service.can_manage(_me(), intake):
        flash(str(REFUSALS["not_coordinator"]), "info")
        return _back(lang, intake)
    if errors:
        return _page(lang, intake, {f"handover_{k}": v for k, v in errors.items()},
                     {f"handover_{k}": v for k, v in form.items()}, 400)
    team_name = next(t.name for t in service.handover_teams(intake) if t.slug == form["team"])
    service.hand_over(_me(), intake, form["team"], form["reason"])
    flash(_("%(reference)s is handed over to %(team)s.", reference=intake.reference,
            team=team_name), "success")
    return redirect(url_for("caseworker.inbox", lang=lang), 303)


@route(bp, CONTACT, methods=["POST"])
@caseworker_only
def log_contact(lang: str, reference: str):
    intake = _visible(reference)
    form = {"method": request.form.get("method", "")[:20],
            "note": request.form.get("note", "")[:service.MAX_NOTE + 1]}
    if not service.can_manage(_me(), intake):
        flash(str(REFUSALS["not_coordinator"]), "info")
        return _back(lang, intake)
    errors = {}
    if form["method"] not in service.CONTACT_METHODS:
        errors["contact_method"] = _("Choose how you were in contact.")
    if not service.typable(form["note"]):
        errors["contact_note"] = _untypable()
    elif len(form["note"]) > service.MAX_NOTE:
        errors["contact_note"] = _("Write at most %(n)d characters.", n=service.MAX_NOTE)
    if errors:
        return _page(lang, intake, errors, {f"contact_{k}": v for k, v in form.items()}, 400)
    service.log_contact(_me(), intake, form["method"], form["note"])
    flash(_("The contact is logged."), "success")
    return _back(lang, intake)


@route(bp, CLOSE, methods=["POST"])
@caseworker_only
def close(lang: str, reference: str):
    intake = _visible(reference)
    form = {"close_reason": request.form.get("reason", "")[:service.MAX_REASON + 1]}
    if not service.can_manage(_me(), intake):
        flash(str(REFUSALS["not_coordinator"]), "info")
        return _back(lang, intake)
    errors = {}
    if not form["close_reason"].strip():
        errors["close_reason"] = _("Write why the intake is closed.")
    elif not service.typable(form["close_reason"]):
        errors["close_reason"] = _untypable()
    elif len(form["close_reason"]) > service.MAX_REASON:
        errors["close_reason"] = _("Write at most %(n)d characters.", n=service.MAX_REASON)
    if errors:
        return _page(lang, intake, errors, form, 400)
    service.close(_me(), intake, form["close_reason"])
    flash(_("%(reference)s is closed.", reference=intake.reference), "success")
    return _back(lang, intake)


@route(bp, EXPORT)
@caseworker_only
def export(lang: str, reference: str):
    intake = _visible(reference)
    data = service.export(_me(), intake)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
        headers={"Content-Disposition":
                 f'attachment; filename="indgang-{intake.reference}.json"'})


@route(bp, CONSENT_TEXT)
@caseworker_only
def consent_text(lang: str, reference: str, consent_id: str):
    intake = _visible(reference)
    consent = next((c for c in intake.consents
                    if consent_id.isdigit() and len(consent_id) < 10
                    and c.id == int(consent_id)), None)
    if consent is None:
        abort(404)
    service.record_view(_me(), intake, "view_consent", f"{consent.key} v{consent.version}")
    return render_template("caseworker/consent.html", intake=intake, consent=consent,
                           text=consent.consent_text, moment=lambda m: format_moment(m, lang))
