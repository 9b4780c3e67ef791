"""What the intake and "talk to a person" forms share: reading answers from what people
write (folded as the portal folds), choices as buttons, and contact details checked.

The forms read their answers from the text whatever the NLU made of it (like the
booking form): buttons send `/inform_intake{"intake_choice": "<value>"}`, and a written
answer is matched leniently against each choice's words ("jobcenter og egen læge",
"ring til mig", "tolk").
"""

from __future__ import annotations

import json
import re
from typing import Any

import textfold
from rasa_sdk import Tracker

from actions.booking import read_contact

CHOICE = "intake_choice"  # the entity the buttons send
ANSWER_INTENT = "inform_intake"
DONE, NONE, YES, NO = "done", "none", "yes", "no"

# Stopping a form, whatever the intent ("stop", "annuller", "glem det"), folded, as the
# whole message or its start.
STOP_WORDS = ("stop", "annuller", "afbryd", "glem det", "jeg fortryder", "fortryd",
              "cancel", "forget it", "quit", "abort", "jeg vil ikke alligevel",
              "i do not want to", "i don't want to")
YES_WORDS = ("ja", "jo", "yes", "ok", "okay", "gerne", "det vil jeg gerne", "sure", "yep",
             "jeg giver samtykke", "i consent", "i give consent", "fint", "fine", "send",
             "korrekt", "rigtigt", "correct", "det er rigtigt", "that is right")
NO_WORDS = ("nej", "no", "nope", "ikke", "not", "jeg giver ikke samtykke",
            "i do not consent", "i don't consent")
NONE_WORDS = ("ingen", "nej", "none", "no", "intet", "ingenting", "nothing", "nobody",
              "not any", "hverken", "neither", "no one", "ikke nogen")
DONE_WORDS = ("det er det hele", "det var det", "faerdig", "ferdig", "videre",
              "that is all", "that's all", "done", "finished", "next", "nej tak")

_EMAIL_ONLY = re.compile(r"^[^@\s,;:<>()]+@[^@\s.,;:<>()]+(?:\.[^@\s.,;:<>()]+)+$")
_POSTCODE = re.compile(r"\b\d{4}\b")
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e]")


def words(text: str) -> str:
    """`text` folded (æ→e, ø→o, å→a, lower case), punctuation as spaces."""
    return " ".join(re.sub(r"[^\w@+.\- ]+", " ", textfold.fold(text or "")).split())


def has_word(folded: str, options: tuple[str, ...]) -> bool:
    """One of `options` at a word's start in the folded text."""
    return any(re.search(r"(?<!\w)" + re.escape(textfold.fold(o)), folded) for o in options)


def is_exactly(folded: str, options: tuple[str, ...]) -> bool:
    """The folded text is one of `options` (give or take "tak" / "please")."""
    core = re.sub(r"\b(tak|please|thanks)\b", "", folded).strip(" .!")
    return core in {textfold.fold(o) for o in options}


def wants_to_stop(text: str) -> bool:
    folded = words(text)
    return any(folded == textfold.fold(w) or folded.startswith(textfold.fold(w) + " ")
               for w in STOP_WORDS)


def choice_entity(tracker: Tracker) -> str | None:
    for item in (tracker.latest_message or {}).get("entities") or []:
        if item.get("entity") == CHOICE and item.get("value") not in (None, ""):
            return str(item["value"])
    return None


def payload(value: str) -> str:
    return f"/{ANSWER_INTENT}" + json.dumps({CHOICE: value})


def button(title: str, value: str) -> dict[str, str]:
    return {"title": title, "payload": payload(value)}


def yes_or_no(text: str) -> str | None:
    folded = words(text)
    if not folded:
        return None
    if has_word(folded, NO_WORDS[3:]) or is_exactly(folded, NO_WORDS) or folded.startswith(
            ("nej", "no ", "ikke")):
        return NO
    if is_exactly(folded, YES_WORDS) or folded.startswith(("ja ", "ja,", "yes ", "yes,")) \
            or has_word(folded, ("jeg giver samtykke", "i consent", "i give consent")):
        return YES
    return None


def matches(text: str, options: dict[str, tuple[str, ...]]) -> list[str]:
    """The keys of `options` whose words appear in `text`, in `options`' order."""
    folded = words(text)
    return [key for key, option_words in options.items() if has_word(folded, option_words)]


def clean_text(text: str, limit: int) -> str:
    """Free text as stored: control and invisible formatting characters removed, spaces
    kept as written (line breaks stay), cut at `limit`."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()[:limit]


def read_phone(text: str) -> str | None:
    return read_contact(text)[1]


def read_email(text: str) -> str | None:
    email = read_contact(text)[0]
    return email if email and _EMAIL_ONLY.match(email) else None


def read_address(text: str) -> str | None:
    """A postal address: letters, a house number and a 4-digit postcode
    ("Vejnavn 12, 1234 By"); None when one of them is missing."""
    value = " ".join(clean_text(text, 300).split())
    if not re.search(r"[^\W\d_]{2,}", value):
        return None
    if not _POSTCODE.search(value):
        return None
    without_postcode = _POSTCODE.sub("", value, count=1)
    if not re.search(r"\d", without_postcode):
        return None
    return value


def entity_value(tracker: Tracker, name: str) -> Any:
    for item in (tracker.latest_message or {}).get("entities") or []:
        if item.get("entity") == name and item.get("value"):
            return item["value"]
    return None
