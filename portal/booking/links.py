"""The addresses of a booking's pages, in both languages: for the pages themselves, the
API, e-mails and calendar files (which are written outside any request)."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

# Route paths (the views register exactly these).
BOOK = {"da": "/tilbud/<slug>/book", "en": "/en/offers/<slug>/book"}
MANAGE = {"da": "/booking", "en": "/en/booking"}
SESSION = {"da": "/samtale/<reference>", "en": "/en/session/<reference>"}
CALENDAR = {"da": "/booking/<reference>/<token>.ics", "en": "/en/booking/<reference>/<token>.ics"}


def _fill(pattern: str, **values: str) -> str:
    for name, value in values.items():
        pattern = pattern.replace(f"<{name}>", value)
    return pattern


def calendar_token(reference: str) -> str:
    """A token that opens the booking's calendar file and nothing else (the file goes
    into calendar apps, which cannot ask for the code)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"ics:{reference}".encode(), hashlib.sha256).hexdigest()[:24]


def session_path(reference: str, lang: str) -> str:
    return _fill(SESSION[lang], reference=reference)


def calendar_path(reference: str, lang: str) -> str:
    return _fill(CALENDAR[lang], reference=reference, token=calendar_token(reference))


def absolute(path: str) -> str:
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path
