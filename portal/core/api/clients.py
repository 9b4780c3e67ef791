"""Who calls the API: anonymous clients, rate limited per address, or server-to-server
clients (the assistant's action server) with `Authorization: Bearer <token>`, a token
from the environment (`PORTAL_API_TOKEN`): not rate limited, and a wrong token is
refused (401) rather than treated as anonymous."""

from __future__ import annotations

import hmac

from flask import current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized


def authenticate(header: str | None) -> str | None:
    """The name of the server-to-server client whose token `header` carries; None for an
    anonymous request; Unauthorized for a token that is not one of ours."""
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        for name, known in current_app.config["API_TOKENS"].items():
            if known and hmac.compare_digest(token.encode(), known.encode()):
                return name
    raise Unauthorized(www_authenticate=WWWAuthenticate("bearer"))


def limit_anonymous_client() -> None:
    wait = current_app.extensions["api_limiter"].retry_after(
        {"api-address": request.remote_addr or ""})
    if wait is not None:
        raise TooManyRequests(retry_after=wait)
