"""Indgang: the citizen portal. `create_app` is the application factory."""

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

    from portal import assets, chat, cli, errors, security
    from portal.api import bp as api_bp
    from portal.extensions import babel, compress, csrf, db, migrate
    from portal.i18n import current_lang
    from portal.web import register_web

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    babel.init_app(app, locale_selector=current_lang)
    csrf.init_app(app)
    compress.init_app(app)

    # Import the models so Alembic and `db.metadata` see every table.
    from portal.catalogue import models as _catalogue_models  # noqa: F401
    from portal.guidance import models as _guidance_models  # noqa: F401

    assets.init_app(app)
    security.init_app(app)
    register_web(app)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # read-only JSON; state-changing API routes add their own checks
    chat.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
