"""Staff accounts: treaters and caseworkers, their units, signing in and out.

Flask-Login keeps the signed-in member in the session as "<id>:<session version>"
(`StaffMember.get_id`), loaded by `service.member_by_login_id`: raising the version
("sign out everywhere") makes every other copy of the session worthless.
"""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager


def init_app(app: Flask) -> None:
    from portal.staff import (
        models,  # noqa: F401  (the tables)
        oidc,
        service,
        views,
    )

    login_manager = LoginManager()
    login_manager.init_app(app)
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
