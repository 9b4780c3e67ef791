"""References and codes: what a citizen holds instead of a login (a booking, an intake).

The reference names a booking or an intake (on the confirmation, in the chat, on the
phone); it is not a secret, but guessing one gains nothing (the same 403 as a wrong
code). The code
is the secret: 80 random bits, shown once, stored only as a SHA-256 hash (80 bits of
randomness make a faster or salted hash unnecessary: nobody can try 2**80 codes).
Both use Crockford's base32 (no I, L, O, U), grouped by four, and forgive how people
type them: lower case, spaces, dashes, O for 0 and I or L for 1.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16      # 16 × 5 = 80 bits
REFERENCE_CHARS = 8  # 40 bits
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _random(chars: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(chars))


def _grouped(value: str) -> str:
    return "-".join(value[i:i + 4] for i in range(0, len(value), 4))


def new_reference() -> str:
    return _grouped(_random(REFERENCE_CHARS))


def new_code() -> str:
    return _grouped(_random(CODE_CHARS))


def normalise(value: str | None) -> str:
    """What the citizen typed, as the canonical grouped form ("" if it cannot be one)."""
    raw = "".join(ch for ch in (value or "").upper().translate(_TYPOS) if ch.isalnum())
    if not raw or any(ch not in ALPHABET for ch in raw):
        return ""
    return _grouped(raw)


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def code_matches(code: str | None, code_hash: str) -> bool:
    given = normalise(code)
    return bool(given) and hmac.compare_digest(hash_code(given), code_hash)
