"""The JSON API (`/api/v1`): how endpoints are declared, their errors, the document, the clients.

Each area declares its endpoints in its own `api.py`: `@spec.validate(query=..., resp=...)`
with pydantic models (`models.py` has the shared ones: errors, the `lang` parameter).
That one declaration validates the request (a bad parameter is a 400 naming it, in the
asked language), serialises the response (views return model instances) and produces
`/api/v1/openapi.json` (`spec.py`). spectree does this on plain Flask views and
blueprints, with the pydantic models the content files already use (README, API).

Clients (`clients.py`): anyone may read the catalogue, within a per-address rate limit;
server-to-server clients (the assistant's action server) send a token.

Breaking changes go to a new version; v1 only ever gains fields.
"""

from __future__ import annotations

import flask_babel
from flask import Flask, g, request
from flask_babel import gettext as _

from portal.core.i18n import LANGUAGES

PREFIX = "/api/v1"


def init_app(app: Flask) -> None:
    from portal.core.api import clients, spec
    from portal.core.ratelimit import RateLimiter

    app.register_blueprint(spec.bp)
    app.extensions["api_limiter"] = RateLimiter(
        app.config["RATELIMIT_STORAGE_URI"], {"api-address": app.config["API_RATE_LIMIT"]})

    @app.before_request
    def identify_client() -> None:
        if request.path.startswith(PREFIX + "/"):
            g.api_client = clients.authenticate(request.headers.get("Authorization"))
            if g.api_client is None:
                clients.limit_anonymous_client()
            use_language_of_the_body()


def use_language_of_the_body() -> None:
    """A POST's messages (its errors too) are in the language its JSON body asks for
    (`lang`), before validation: the bookings, intakes and handoffs all take one."""
    if request.method == "POST":
        from portal.core.api.models import BadParameter

        try:
            body = request.get_json(silent=True)
        except RecursionError:  # "[[[[…" nested too deep: not a ValueError, so not silent
            raise BadParameter({"request": _("The request could not be read.")}) from None
        if body is None and request.is_json and request.get_data():
            # Not JSON at all ("{"): say so, rather than that every field is missing.
            raise BadParameter({"request": _("The request could not be read.")})
        if isinstance(body, dict) and body.get("lang") in LANGUAGES:
            g.lang = body["lang"]
            flask_babel.refresh()
