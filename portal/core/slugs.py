"""Slugs: the stable names of offers, places, situations and pages in URLs and the API."""

from __future__ import annotations

import re

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_SLUG_LENGTH = 80
_SLUG = re.compile(SLUG_PATTERN)


def could_be_slug(value: str) -> bool:
    """False for anything that cannot name a catalogue entry, before it reaches the
    database: a NUL character (from a URL or a cookie) is an error in PostgreSQL, not
    just no match."""
    return len(value) <= MAX_SLUG_LENGTH and _SLUG.fullmatch(value) is not None
