"""Indgang: the citizen portal. `create_app` is the application factory.

The app is made of a small core (what every area shares) and one package per area,
each with its models, its service (the rules), its pages and its API:
catalogue, guidance, chat; `content` loads the catalogue and the pages from `content/`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from portal.config import Config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from portal import (
        booking,
        caseworker,
        catalogue,
        chat,
        content,
        core,
        guidance,
        intake,
        livechat,
        outbox,
        staff,
    )
    from portal.core.extensions import babel, compress, csrf, db, migrate
    from portal.core.i18n import current_lang

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    babel.init_app(app, locale_selector=current_lang)
    csrf.init_app(app)
    compress.init_app(app)

    core.init_app(app)
    catalogue.init_app(app)
    chat.init_app(app)
    content.init_app(app)
    guidance.init_app(app)
    staff.init_app(app)
    outbox.init_app(app)
    livechat.init_app(app)
    booking.init_app(app)
    intake.init_app(app)
    caseworker.init_app(app)

    from portal import demo, retention

    app.cli.add_command(demo.demo_cli)
    app.cli.add_command(retention.retention_cli)
    return app
