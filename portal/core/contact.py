"""How people write a phone number and an e-mail address: one rule for every form and
API (bookings, intakes, the chat's handoff), so a number one accepts, all accept."""

from __future__ import annotations

import re

# One @, something before it, a dot in the domain, no spaces: what a typo usually breaks.
# (Whether the address exists only the mail server knows.)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_FILLER = re.compile(r"[\s().\-/]")
_DANISH_PHONE = re.compile(r"^[0-9]{8}$")
_INTERNATIONAL_PHONE = re.compile(r"^(?:\+|00)([1-9][0-9]{6,14})$")  # E.164: up to 15 digits


def phone_number(text: str) -> str | None:
    """A Danish number (8 digits) or an international one (+ or 00 and the country code),
    as +<digits> so a sender can use it as it is; None when it is not a number."""
    digits = _PHONE_FILLER.sub("", text)
    if _DANISH_PHONE.match(digits):
        return "+45" + digits
    international = _INTERNATIONAL_PHONE.match(digits)
    return "+" + international.group(1) if international else None


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text))
