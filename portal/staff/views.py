"""Staff sign-in and sign-out, and the staff start page.

Signing in (by password, or by the organisation's identity provider when configured:
`oidc.py`) starts a new session: whatever the browser's session held is dropped and a
new CSRF token is issued, so a session planted before the sign-in is worth nothing after
it. Sign-in attempts are limited per address (`STAFF_LOGIN_RATE_LIMIT`) and, per
account, by the lockout in `service.sign_in`. The page never says whether an account
exists or is locked: one message for every refusal.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
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
from flask_login import login_user, logout_user

from portal.core.i18n import route
from portal.core.ratelimit import RateLimiter
from portal.staff import oidc, service, uses_session
from portal.staff.models import StaffMember

bp = Blueprint("staff", __name__)

SIGNED_IN_AT = "staff_signed_in_at"
MAX_EMAIL = 254
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte of "password" is an attack


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.extensions["staff_login_limiter"] = RateLimiter(
        app.config["RATELIMIT_STORAGE_URI"],
        {"staff-login": app.config["STAFF_LOGIN_RATE_LIMIT"]})


def unauthorized():
    """Flask-Login's answer to a visitor who is not signed in: the sign-in page, then back."""
    return redirect(url_for("staff.sign_in", lang=g.get("lang", "da"),
                            next=service.local_path(request.full_path.rstrip("?"))))


@bp.before_app_request
def end_old_staff_sessions() -> None:
    """A staff session lasts at most `STAFF_SESSION_HOURS` (10) from its sign-in,
    whatever the browser does: a copied cookie stops working by itself. (Static files
    and the API never look at the session: see `staff.uses_session`.)"""
    if not uses_session() or "_user_id" not in session:
        return
    hours = current_app.config["STAFF_SESSION_HOURS"]
    since = session.get(SIGNED_IN_AT)
    if not isinstance(since, int | float) or time.time() - since > hours * 3600:
        logout_user()
        session.clear()


def _start_session(member: StaffMember, lang: str, target: str | None):
    """Sign the member in on a new session and go where they were heading."""
    target = service.local_path(target)
    session.clear()  # nothing from before the sign-in survives it
    g.pop("csrf_token", None)  # the next page gets a new CSRF token
    login_user(member)
    session[SIGNED_IN_AT] = int(time.time())
    return redirect(target or service.start_page(member, lang), 303)


@route(bp, {"da": "/personale/log-ind", "en": "/en/staff/sign-in"}, methods=["GET", "POST"])
def sign_in(lang: str):
    member = service.current_member()
    if request.method == "GET" and member is not None:
        return redirect(service.start_page(member, lang))
    email = request.form.get("email", "")[:MAX_EMAIL].strip()
    error, status, headers = None, 200, {}
    if request.method == "POST":
        wait = current_app.extensions["staff_login_limiter"].retry_after(
            {"staff-login": request.remote_addr or "-"})
        password = request.form.get("password", "")
        if wait is not None:
            minutes = max(1, -(-wait // 60))
            error = _("Too many sign-in attempts from your network. Please wait %(n)d "
                      "minute(s) and try again.", n=minutes)
            status, headers = 429, {"Retry-After": str(wait)}
        elif not email or not password:
            error = _("Write your e-mail address and your password.")
            status = 400
        elif len(password) > MAX_PASSWORD:
            error = _("The e-mail address or the password is wrong, or the account is "
                      "locked for a while after too many attempts.")
            status = 400
        else:
            result = service.sign_in(email, password)
            if result.member is not None:
                return _start_session(result.member, lang, request.form.get("next"))
            error = _("The e-mail address or the password is wrong, or the account is "
                      "locked for a while after too many attempts.")
            status = 400
    return render_template(
        "staff/sign_in.html", email=email, error=error, oidc_enabled=oidc.enabled(),
        next=service.local_path(request.values.get("next")) or "",
    ), status, headers


@route(bp, {"da": "/personale/log-ind/oidc", "en": "/en/staff/sign-in/oidc"},
       methods=["POST"])
def oidc_start(lang: str):
    if not oidc.enabled():
        abort(404)
    session["staff_oidc_next"] = service.local_path(request.form.get("next")) or ""
    return oidc.start(url_for("staff.oidc_reply", lang=lang, _external=True))


@route(bp, {"da": "/personale/log-ind/oidc/svar", "en": "/en/staff/sign-in/oidc/reply"})
def oidc_reply(lang: str):
    if not oidc.enabled():
        abort(404)
    target = session.pop("staff_oidc_next", "")
    member = oidc.finish()
    if member is None:
        return render_template(
            "staff/sign_in.html", email="", oidc_enabled=True, next=target,
            error=_("The sign-in with your organisation's account did not succeed, or the "
                    "account has no access to Indgang. Ask your administrator."),
        ), 403
    return _start_session(member, lang, target)


@route(bp, {"da": "/personale/log-ud", "en": "/en/staff/sign-out"}, methods=["POST"])
def sign_out(lang: str):
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("staff.sign_in", lang=lang), 303)


@route(bp, {"da": "/personale/log-ud-overalt", "en": "/en/staff/sign-out-everywhere"},
       methods=["POST"])
@service.staff_required()
def sign_out_everywhere(lang: str):
    service.sign_out_everywhere(service.current_member())
    logout_user()
    session.clear()
    flash(_("You are signed out on every device and browser."), "success")
    return redirect(url_for("staff.sign_in", lang=lang), 303)


@route(bp, {"da": "/personale", "en": "/en/staff"})
@service.staff_required()
def home(lang: str):
    return render_template("staff/home.html", member=service.current_member())
