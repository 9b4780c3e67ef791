"""Which bookings this browser has opened with their code.

Once a citizen has given a booking's reference and code (on the booking page or the
session page), this browser may see it until the browser session ends: the references
are kept in the signed session cookie (never the code), at most a few at a time.
"""

from __future__ import annotations

from flask import session

KEY = "bookings_opened"
MAX_OPEN = 5


def remember(reference: str) -> None:
    opened = [r for r in session.get(KEY, []) if r != reference]
    session[KEY] = [*opened, reference][-MAX_OPEN:]


def is_open(reference: str) -> bool:
    return reference in session.get(KEY, [])


def forget(reference: str) -> None:
    session[KEY] = [r for r in session.get(KEY, []) if r != reference]
