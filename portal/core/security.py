"""Headers every response gets: a strict CSP, the usual hardening, and the cache policy.

Cache policy, safe by default: nothing is stored by a browser or a proxy (`no-store`)
unless its view says it is public with `@public_cache` — the published catalogue, the
same for everyone. Pages carry the visitor's CSRF token, the chat carries a
conversation, and the coming booking and intake pages carry references and codes: all
of that must never sit in a shared cache or on a shared computer's disk. Static files
set their own long `max-age` (their URLs change with their content).

`Referrer-Policy: no-referrer`: a URL may hold a booking reference or a code, and no
page of ours, nor a site it links to, may learn it from the Referer header.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, g, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)
PUBLIC_MAX_AGE = 60


def public_cache(max_age: int = PUBLIC_MAX_AGE) -> Callable:
    """Mark a view's successful GET answers as public: the same for everyone, no
    personal data, no secret. Anything else stays `no-store`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            g.public_max_age = max_age
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app: Flask) -> None:
    @app.after_request
    def harden(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        apply_cache_policy(response)
        return response


def apply_cache_policy(response: Response) -> None:
    max_age = g.get("public_max_age")
    public = (
        max_age is not None
        and response.status_code == 200
        and request.method in ("GET", "HEAD")
        and "Set-Cookie" not in response.headers
    )
    if public:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    elif "Set-Cookie" in response.headers or "Cache-Control" not in response.headers:
        # A static file sets its own Cache-Control; everything else, and anything that
        # sets a cookie, is never stored.
        response.headers["Cache-Control"] = "no-store"
