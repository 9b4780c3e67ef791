"""Staff accounts: treaters and caseworkers, their units, signing in and out.

Flask-Login keeps the signed-in member in the session as "<id>:<session version>"
(`StaffMember.get_id`), loaded by `service.member_by_login_id`: raising the version
("sign out everywhere") makes every other copy of the session worthless.
"""

from __future__ import annotations

from flask import Flask, Response, request, session
from flask_login import LoginManager

from portal.core.api import PREFIX as API_PREFIX

# Responses that never look at the session: in Flask 3.1 merely touching it adds
# "Vary: Cookie", and a browser would fetch the static files again after every sign-in
# (and shared caches would keep the public API once per cookie).
WITHOUT_SESSION = ("/static/", "/dkfds/", API_PREFIX + "/")


def uses_session() -> bool:
    return not request.path.startswith(WITHOUT_SESSION)


class StaffLoginManager(LoginManager):
    """Flask-Login without "remember me": a staff session ends with the browser, or
    `STAFF_SESSION_HOURS` after the sign-in. Flask-Login's after-request hook would read
    the session of every response to maintain a remember cookie, making static files
    and the API vary by cookie; this one never sets or clears such a cookie and only
    drops Flask-Login's note about it (left by its session protection) when present."""

    def _update_remember_cookie(self, response: Response) -> Response:
        if uses_session() and "_remember" in session:
            session.pop("_remember")
        return response


def init_app(app: Flask) -> None:
    from portal.staff import (
        models,  # noqa: F401  (the tables)
        oidc,
        service,
        views,
    )

    login_manager = StaffLoginManager()
    # No `current_user` in every template: citizen pages never load a staff member
    # (staff pages ask `service.current_member`).
    login_manager.init_app(app, add_context_processor=False)
    login_manager.user_loader(service.member_by_login_id)
    login_manager.unauthorized_handler(views.unauthorized)
    # A session used from another address or browser than the one that signed in is
    # dropped (a stolen cookie is not enough on its own).
    login_manager.session_protection = "strong"
    views.init_app(app)
    oidc.init_app(app)

    @app.context_processor
    def staff_context():
        return {"staff_member": service.current_member, "staff_pages": service.pages_for}
