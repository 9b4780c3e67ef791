"""Text: what no keyboard types (`typable`, `strip_untypable`), and normalisation for
search: how citizens write versus how offers are written.

Citizens type on phones without æ/ø/å ("paaroerende", "son" for "søn", "gaeld"), with
typos and in everyday words. Both the index and the query go through `tokens`, which
folds every spelling of a Danish letter to one skeleton form:

    pårørende, paaroerende, parorende  -> "parorende"
    søn, soen, son                     -> "son"
    gæld, gaeld                        -> "geld"
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "u"})
_SKELETON = (("aa", "a"), ("ae", "e"), ("oe", "o"))
_WORD = re.compile(r"[a-z0-9]+")

# Function words in both languages (already folded); they carry no meaning for search.
STOPWORDS = frozenset(
    """
    og i jeg det at en den til er som pa de med han af for ikke der var mig sig men et har om
    vi min havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv
    her alle vil blev kunne ind nar vere dog noget ville jo deres efter ned skulle denne end
    dette mit ogsa under have dig anden hende mine alt meget sit sine vor mod disse hvis din
    nogle hos blive mange ad bliver hendes vere vores hvordan hvem hvornar kan ma gerne bare
    lidt rigtig helt sa godt ret altid aldrig hele tiden nogen mere mest the a an and or of to
    in on at for with is are was were be been am i me my we our you your he him his she her it
    its they them their this that these those there here what which who how when where why can
    could would should will do does did have has had not no so if but as by from about into
    than too very just also any some all more most get got really
    """.split()  # noqa: SIM905 - a word list reads best as text
)


def fold(text: str) -> str:
    """Lower-case, fold Danish letters to their skeleton and drop other accents."""
    text = text.lower().translate(_LETTERS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    for double, single in _SKELETON:
        text = text.replace(double, single)
    return text


def words(text: str) -> list[str]:
    """All folded words, stopwords included (used for phrase matching)."""
    return _WORD.findall(fold(text))


def tokens(text: str) -> list[str]:
    """Folded words that carry meaning: no stopwords, no single characters."""
    return [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def phrase(text: str) -> str:
    """A phrase as a space-joined word sequence, for matching inside a query."""
    return " ".join(words(text))


# What no keyboard types: control characters (NUL, escapes; PostgreSQL refuses NUL in
# text), C1 controls, the Unicode line and paragraph separators, and lone surrogates
# (JSON's "\ud800": no character at all, it cannot be written as UTF-8 into a page, an
# export or an e-mail). `lines`: newlines and tabs are typed in a text box.
_UNTYPABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_UNTYPABLE_IN_LINES = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def typable(text: str, lines: bool = False) -> bool:
    """Whether `text` holds only what people type (with `lines`: line breaks and tabs too).
    Form fields refuse the rest with a message; chat messages drop it (`strip_untypable`)."""
    return not (_UNTYPABLE_IN_LINES if lines else _UNTYPABLE).search(text)


def strip_untypable(text: str) -> str:
    """`text` without what people do not type, line breaks and tabs kept."""
    return _UNTYPABLE_IN_LINES.sub("", text)
