"""The bot's one text folding: how citizens write Danish letters, folded to one form.

The same mapping as the portal's `fold` (portal/core/text.py), and both are tested on
the same cases (tests/shared/folding.yml):

    Pårørende, paaroerende, parorende  -> "parorende"
    søn, soen, son                     -> "son"
    gæld, gaeld, geld                  -> "geld"    (æ is said like e: "hjelp", "vere")

Lower-case; æ, ø, å (and ä, ö, ü) to their two-letter spellings; other accents dropped
(NFKD); then "aa", "ae", "oe" to "a", "e", "o". It touches nothing else: each user adds
its own steps (the crisis guard maps ’ to ', places drops punctuation, both collapse
whitespace).

A top-level module without Rasa imports: the action server (actions/) and the NLU
components (components/, whose package patches Rasa on import) both use it.
"""

from __future__ import annotations

import unicodedata

_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "u"})
_SKELETON = (("aa", "a"), ("ae", "e"), ("oe", "o"))


def fold(text: str) -> str:
    """Lower-case, fold Danish letters to their skeleton and drop other accents."""
    text = text.lower().translate(_LETTERS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    for double, single in _SKELETON:
        text = text.replace(double, single)
    return text
