"""The citizen's intake pages ("Én indgang"): the start page, one step per page, the
receipt with the code (shown once), and the status page opened with reference and code.

Everything works without JavaScript: each step is a plain form (post/redirect/get), and
every step saves what was typed in a server-side draft (`drafts`), so nothing is lost
on a reload. Every POST carries the CSRF token. The rules are in `service`, the fields
in `inputs` and the steps in `form`.
"""

from __future__ import annotations

import json
import time

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from portal.catalogue import service as catalogue
from portal.core import codes
from portal.core.i18n import format_moment, route
from portal.guidance import service as guidance
from portal.intake import drafts, form, inputs, service
from portal.intake.form import STEPS, Step
from portal.intake.models import AGENCIES, AWAITING_CONSENT, NEEDS, Intake

bp = Blueprint("intake", __name__)

START = {"da": "/en-indgang", "en": "/en/one-entrance"}
STEP = {"da": "/en-indgang/<step>", "en": "/en/one-entrance/<step>"}
RESTART = {"da": "/en-indgang/start-forfra", "en": "/en/one-entrance/start-over"}
RECEIPT = {"da": "/en-indgang/kvittering", "en": "/en/one-entrance/receipt"}
STATUS = {"da": "/en-indgang/status", "en": "/en/one-entrance/status"}
STATUS_PAGE = {"da": "/en-indgang/status/<reference>", "en": "/en/one-entrance/status/<reference>"}
WITHDRAW = {"da": "/en-indgang/status/<reference>/tilbagekald",
            "en": "/en/one-entrance/status/<reference>/withdraw"}
GIVE = {"da": "/en-indgang/status/<reference>/samtykke",
        "en": "/en/one-entrance/status/<reference>/consent"}
ADD = {"da": "/en-indgang/status/<reference>/tilfoej",
       "en": "/en/one-entrance/status/<reference>/add"}
PRINT = {"da": "/en-indgang/status/<reference>/kvittering",
         "en": "/en/one-entrance/status/<reference>/receipt"}
EXPORT = {"da": "/en-indgang/status/<reference>/data.json",
          "en": "/en/one-entrance/status/<reference>/data.json"}
FORGET = {"da": "/en-indgang/status/<reference>/luk",
          "en": "/en/one-entrance/status/<reference>/close"}

NEW = "intake_new"          # session: the intake just sent ({reference, code}); code once
OPENED = "intakes_opened"   # session: {reference: until (epoch seconds)}
MAX_OPEN = 5
MAX_INFORMATION = 2000


@bp.context_processor
def _helpers() -> dict:
    return {"format_moment": format_moment, "steps": STEPS, "agencies": AGENCIES,
            "needs_all": NEEDS, "step_url": step_url}


def step_url(step: Step | str, lang: str, change: bool = False) -> str:
    """A step's address; `change`: from the review, which it then returns to."""
    step = form.BY_KEY[step] if isinstance(step, str) else step
    args = {"return": "review"} if change else {}
    return url_for("intake.step", lang=lang, step=step.slugs[lang], **args)


def _data() -> dict:
    draft = drafts.current()
    return dict(draft.data or {}) if draft else {}


def _prefill(data: dict) -> dict:
    """The chosen municipality (the site's cookie) fills the municipality step."""
    chosen = g.get("municipality")
    if not data.get("municipality") and chosen is not None:
        return {**data, "municipality": chosen.slug}
    return data


# --- the start page and the steps ------------------------------------------------------


@route(bp, START)
def start(lang: str):
    """What the intake is (the guidance text), and the way in: start, or go on."""
    page = next((p for p in guidance.list_pages() if p.key == "intake"), None)
    text = page.text(lang) if page else None
    draft = drafts.current()
    return render_template("intake/start.html", page=page, text=text,
                           body=guidance.render_markdown(text.body) if text else None,
                           draft=draft, resume=_resume_step(draft, lang) if draft else None)


def _resume_step(draft, lang: str) -> Step:
    problem = form.first_problem(dict(draft.data or {}), lang)
    return problem[0] if problem else form.BY_KEY["review"]


@route(bp, RESTART, methods=["POST"])
def restart(lang: str):
    """Start over: the draft is deleted (nothing of it is kept)."""
    drafts.delete()
    flash(_("Your answers are deleted. You can start again."), "success")
    return redirect(url_for("intake.start", lang=lang), 303)


@route(bp, STEP, methods=["GET", "POST"])
def step(lang: str, step: str):
    current = form.step_of_slug(step)
    if current is None:
        from flask import abort

        abort(404)
    g.alternate_urls = {code: url_for("intake.step", lang=code, step=current.slugs[code])
                        for code in current.slugs}
    data = _prefill(_data())
    if current.key == "review":
        return _review(lang, data)
    if request.method == "GET":
        return _render_step(current, lang, data, {})
    values = form.read(current, request.form, data, lang)
    if current.key == "who" and values.get("asker") == "self":
        values["authority"] = ""
    data = {**data, **values}
    drafts.save(values, current.key, lang)  # even when wrong: nothing typed is lost
    errors = form.check(current, data, lang)
    if errors:
        return _render_step(current, lang, data, errors), 400
    after = form.following(current)
    if request.form.get("return") == "review":
        after = form.BY_KEY["review"]
    return redirect(step_url(after, lang), 303)


def _render_step(current: Step, lang: str, data: dict, errors: dict):
    context = {
        "step": current, "number": form.number(current), "total": len(STEPS),
        "back": form.previous(current), "values": data, "errors": errors,
        "returning": request.values.get("return") == "review",
    }
    if current.key == "municipality":
        context["municipalities"] = catalogue.list_municipalities()
    if current.key == "situation":
        context["situations"] = [(s.slug, s.text(lang).name, s.text(lang).description)
                                 for s in catalogue.list_situations()]
    if current.key == "consent":
        context["lines"] = form.consent_lines(data, lang)
        context["may_consent"] = form.may_consent(data)
    return render_template(f"intake/step_{current.key}.html", **context)


def _review(lang: str, data: dict):
    current = form.BY_KEY["review"]
    problem = form.first_problem(data, lang)
    if problem is not None:
        if request.method == "POST":
            flash(_("Please answer this question before you send."), "error")
        return redirect(step_url(problem[0], lang), 303)
    if request.method == "POST":
        return _submit(lang, data)
    return render_template("intake/step_review.html", step=current,
                           number=form.number(current), total=len(STEPS),
                           back=form.previous(current), **_summary(data, lang))


def _summary(data: dict, lang: str) -> dict:
    municipality = catalogue.get_municipality(data.get("municipality"))
    situations = {s.slug: s for s in catalogue.list_situations()}
    answers = data.get("consents") or {}
    lines = form.consent_lines(data, lang)
    return {
        "values": data,
        "municipality": municipality.text(lang).name if municipality else "",
        "situation_names": [situations[s].text(lang).name for s in data.get("situations") or []
                            if s in situations],
        "lines": lines, "answers": answers, "may_consent": form.may_consent(data),
    }


def _submit(lang: str, data: dict):
    try:
        service.check_submission_limit(request.remote_addr or "")
    except service.TooManyAttempts as limited:
        minutes = max(1, -(-limited.retry_after // 60))
        return Response(render_template(
            "errors/error.html", code=429, title=_("Too many requests"),
            message=_("Many requests have been sent from this connection. Your answers are "
                      "kept. Please wait %(minutes)d minutes and send again.",
                      minutes=minutes)), 429, {"Retry-After": str(limited.retry_after)})
    try:
        made = service.submit(form.complete(data, lang), channel="web")
    except service.IntakeError as error:
        flash(inputs.service_error(next(iter(error.errors.values()))), "error")
        return redirect(step_url("consent", lang), 303)
    drafts.delete()
    session[NEW] = {"reference": made.intake.reference, "code": made.code}
    _remember(made.intake.reference)
    return redirect(url_for("intake.receipt", lang=lang), 303)


# --- the receipt -------------------------------------------------------------------------


@route(bp, RECEIPT)
def receipt(lang: str):
    """The intake just sent, with its code this once (a reload shows it without)."""
    new = session.get(NEW)
    intake = service.by_reference(new["reference"]) if isinstance(new, dict) else None
    if intake is None:
        return redirect(url_for("intake.status", lang=lang), 303)
    code = new.get("code")
    if code:
        session[NEW] = {"reference": intake.reference}  # shown once: now gone
    return render_template("intake/receipt.html", code=code, **_intake_page(intake, lang))


def _intake_page(intake: Intake, lang: str) -> dict:
    """What the receipt and the status page show about an intake."""
    team = service.team_of(intake)
    caseworker = service.caseworker_of(intake)
    asked = service.relevant_texts(intake.municipality, intake.lang, intake.agencies)
    given_keys = {c.key for c in intake.consents}
    municipality = catalogue.get_municipality(intake.municipality)
    situations = {s.slug: s for s in catalogue.list_situations()}
    return {
        "intake": intake, "team": team, "caseworker": caseworker,
        "municipality": municipality.text(lang).name if municipality else intake.municipality,
        "situation_names": [situations[s].text(lang).name for s in intake.situations
                            if s in situations],
        "due": format_moment(intake.contact_due_at, lang) if intake.contact_due_at else None,
        "given": [c for c in intake.consents],
        "not_given": [t for t in asked if t.key not in given_keys],
        "awaiting": intake.status == AWAITING_CONSENT,
        "export_url": (url_for("intake.export", lang=lang, reference=intake.reference)
                       if _export_available() else None),
    }


def _export_available() -> bool:
    try:
        from portal.intake import export  # noqa: F401  (helper F's module)
    except ImportError:
        return False
    return True


# --- the status page ----------------------------------------------------------------------


def _remember(reference: str) -> None:
    minutes = current_app.config["INTAKE_ACCESS_MINUTES"]
    now = time.time()
    opened = {r: t for r, t in (session.get(OPENED) or {}).items()
              if r != reference and isinstance(t, int | float) and t > now}
    opened[reference] = int(now + minutes * 60)
    session[OPENED] = dict(sorted(opened.items(), key=lambda item: item[1])[-MAX_OPEN:])


def _is_open(reference: str) -> bool:
    until = (session.get(OPENED) or {}).get(reference)
    return isinstance(until, int | float) and until > time.time()


def _opened(lang: str, reference: str) -> Intake | Response:
    """The intake, if this browser gave its code a little while ago; else the code form."""
    reference = codes.normalise(reference)
    intake = service.by_reference(reference) if _is_open(reference) else None
    if intake is None:
        return redirect(url_for("intake.status", lang=lang, reference=reference or None), 303)
    return intake


@route(bp, STATUS, methods=["GET", "POST"])
def status(lang: str):
    """Reference and code: every try counts (per address and per intake)."""
    if request.method == "GET":
        values = {"reference": codes.normalise(request.args.get("reference"))}
        return render_template("intake/status_form.html", values=values, errors={})
    reference = (request.form.get("reference") or "").strip()[:40]
    code = request.form.get("code") or ""
    values = {"reference": reference}
    errors = {}
    if not codes.normalise(reference):
        errors["reference"] = _("Write the reference, e.g. AB12-CD34.")
    if not codes.normalise(code):
        errors["code"] = _("Write the code you were given when you sent your request.")
    if errors:
        return render_template("intake/status_form.html", values=values, errors=errors), 400
    try:
        intake = service.open_intake(reference, code, request.remote_addr or "")
    except service.TooManyAttempts as limited:
        minutes = max(1, -(-limited.retry_after // 60))
        response = Response(render_template("intake/status_form.html", values=values,
                                            errors={}, limited=minutes), 429)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    except service.AccessDenied:
        return render_template("intake/status_form.html", values=values, errors={},
                               denied=True), 403
    _remember(intake.reference)
    return redirect(url_for("intake.status_page", lang=lang, reference=intake.reference), 303)


@route(bp, STATUS_PAGE)
def status_page(lang: str, reference: str):
    intake = _opened(lang, reference)
    if not isinstance(intake, Intake):
        return intake
    return render_template("intake/status.html", values={}, errors={},
                           **_intake_page(intake, lang))


@route(bp, WITHDRAW, methods=["POST"])
def withdraw(lang: str, reference: str):
    """One action: the consent is withdrawn at once (the record of it stays)."""
    intake = _opened(lang, reference)
    if not isinstance(intake, Intake):
        return intake
    try:
        consent = service.withdraw(intake, int(request.form.get("consent_id", "")))
    except (KeyError, ValueError):
        flash(_("That consent could not be found. Nothing was changed."), "error")
    else:
        text = consent.consent_text
        flash(_("Your consent is withdrawn: %(purpose)s From now on the information may not "
                "be shared on this consent.", purpose=text.purpose), "success")
    return redirect(url_for("intake.status_page", lang=lang, reference=intake.reference), 303)


@route(bp, GIVE, methods=["GET", "POST"])
def give_consent(lang: str, reference: str):
    """The citizen consents themselves (an intake a relative sent without authority)."""
    intake = _opened(lang, reference)
    if not isinstance(intake, Intake):
        return intake
    if intake.status != AWAITING_CONSENT:
        return redirect(url_for("intake.status_page", lang=lang, reference=intake.reference),
                        303)
    lines = service.relevant_texts(intake.municipality, intake.lang, intake.agencies)
    page = {"intake": intake, "lines": lines, "answers": {}, "errors": {}}
    if request.method == "GET":
        return render_template("intake/give_consent.html", **page)
    answers = {t.key: request.form.get(f"consent-{t.key}") for t in lines}
    errors = {f"consent-{key}": _("Answer yes or no.")
              for key, answer in answers.items() if answer not in ("yes", "no")}
    if request.form.get("self") != "yes":
        errors = {"self": _("Tick the box if you are the person this request is about."),
                  **errors}
    if errors:
        return render_template("intake/give_consent.html", **{
            **page, "answers": answers, "errors": errors}), 400
    try:
        service.give_consents(intake, [t.id for t in lines if answers[t.key] == "yes"],
                              given_by="self", capacity="self", channel="web")
    except service.IntakeError as error:
        flash(inputs.service_error(next(iter(error.errors.values()))), "error")
        return redirect(url_for("intake.give_consent", lang=lang,
                                reference=intake.reference), 303)
    flash(_("Thank you. Your answers are saved, and your request is now with the team."),
          "success")
    return redirect(url_for("intake.status_page", lang=lang, reference=intake.reference), 303)


@route(bp, ADD, methods=["POST"])
def add_information(lang: str, reference: str):
    intake = _opened(lang, reference)
    if not isinstance(intake, Intake):
        return intake
    text = request.form.get("information") or ""
    values = {"information": text}
    try:
        cleaned = inputs._text(text, MAX_INFORMATION, lines=True)
        if not cleaned:
            raise inputs.Invalid(_("Write what you want to add."))
        service.add_information(intake, cleaned)
    except inputs.Invalid as error:
        return render_template("intake/status.html", values=values,
                               errors={"information": error.message},
                               **_intake_page(intake, lang)), 400
    except service.IntakeError as error:
        return render_template("intake/status.html", values=values, errors={
            "information": inputs.service_error(error.errors["information"])},
            **_intake_page(intake, lang)), 400
    flash(_("Thank you. What you wrote is added to your request, and your caseworker can "
            "read it now."), "success")
    return redirect(url_for("intake.status_page", lang=lang, reference=intake.reference), 303)


@route(bp, PRINT)
def print_receipt(lang: str, reference: str):
    """The printable receipt again (without the code: it was shown once)."""
    intake = _opened(lang, reference)
    if not isinstance(intake, Intake):
        return intake
    return render_template("intake/receipt.html", code=None, reprint=True,
                           **_intake_page(intake, lang))


@route(bp, EXPORT)
def export(lang: str, reference: str):
    """Everything held about the intake, as JSON (GDPR art. 15 and 20)."""
    intake = _opened(lang, reference)
    if not isinstance(intake, Intake):
        return intake
    if not _export_available():
        from flask import abort

        abort(404)
    body = json.dumps(service.export(intake), ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="indgang-{intake.reference}.json"'})


@route(bp, FORGET, methods=["POST"])
def forget(lang: str, reference: str):
    """Close the status page on this browser (a shared computer): the code is needed again."""
    opened = dict(session.get(OPENED) or {})
    opened.pop(codes.normalise(reference), None)
    session[OPENED] = opened
    flash(_("Your request is closed on this browser. You need the code to open it again."),
          "success")
    return redirect(url_for("intake.status", lang=lang), 303)


def init_app(app) -> None:
    app.register_blueprint(bp)

