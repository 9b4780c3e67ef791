"""Free times as people read and write them, in Copenhagen time.

Written: "tirsdag 1. dec. kl. 17.30" / "Tuesday 1 Dec, 17:30" (the portal's own
patterns, with Babel). Read: what a citizen may write when the bot shows free times —
a part of the day ("frokost", "om aftenen", "evening"), a day ("i morgen", "tirsdag",
"next week"), a clock time ("17.30", "kl 17"), "later", or which of the shown times
("den første", "2"). No Rasa import: the rules are plain functions, tested on their own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from textfold import fold

TZ = ZoneInfo("Europe/Copenhagen")
MOMENT_FORMATS = {"da": "EEEE d. MMM 'kl.' HH.mm", "en": "EEEE d MMM, HH:mm"}

# Parts of the day, by the local start time: [from, until).
PERIODS: dict[str, tuple[dt.time, dt.time]] = {
    "morning": (dt.time(0, 0), dt.time(11, 30)),
    "lunch": (dt.time(11, 0), dt.time(13, 30)),
    "afternoon": (dt.time(13, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), dt.time(23, 59, 59)),
}
LATER = "later"
ALL = "all"

# Words, folded (æ→e, ø→o, å→a, lower case); matched at the start of a word.
_PERIOD_WORDS = {
    "lunch": ("frokost", "middagspause", "lunch", "midday", "noon"),
    "evening": ("aften", "efter arbejde", "efter fri", "efter job", "evening", "tonight",
                "after work", "iaften"),
    "morning": ("formiddag", "morgen", "morning"),
    "afternoon": ("eftermiddag", "afternoon"),
}
_LATER_WORDS = ("senere", "later", "andre tider", "flere tider", "other times",
                "more times", "passer ikke", "none of")
_NEXT_WEEK_WORDS = ("neste uge", "next week")  # "næste" folds to "neste"
_WEEKDAYS = {
    0: ("mandag", "monday"), 1: ("tirsdag", "tuesday"), 2: ("onsdag", "wednesday"),
    3: ("torsdag", "thursday"), 4: ("fredag", "friday"), 5: ("lordag", "saturday"),
    6: ("sondag", "sunday"),
}
_TODAY_WORDS = ("i dag", "idag", "today", "i aften", "iaften", "tonight")
_TOMORROW_WORDS = ("i morgen", "imorgen", "tomorrow")
_ORDINALS = {
    0: ("1", "forste", "first"), 1: ("2", "anden", "second"), 2: ("3", "tredje", "third"),
    3: ("4", "fjerde", "fourth"), 4: ("5", "femte", "fifth"),
}
# Words around an ordinal that do not change it: "den første tak", "the first one".
_FILLER = {"the", "one", "den", "det", "nr", "nummer", "number", "tak", "please", "tid",
           "tiden", "time", "option", "mulighed", "jeg", "tager", "vil", "have", "i'll",
           "take", "i", "want", "gerne"}
# "17.30", "17:30", "kl 17", "kl. 9", "at 5 pm" is not supported: Danish clocks are 24 h.
_CLOCK = re.compile(r"(?:\bkl\.?\s*|\bat\s+)?\b([01]?\d|2[0-3])(?:[.:]([0-5]\d))\b"
                    r"|\bkl\.?\s*([01]?\d|2[0-3])\b")


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TZ)


def today(now: dt.datetime | None = None) -> dt.date:
    return local(now or dt.datetime.now(TZ)).date()


def format_moment(moment: dt.datetime, lang: str) -> str:
    """ "tirsdag 1. dec. kl. 17.30" / "Tuesday 1 Dec, 17:30" (Copenhagen time)."""
    lang = lang if lang in MOMENT_FORMATS else "da"
    return format_datetime(moment, MOMENT_FORMATS[lang], tzinfo=TZ, locale=lang)


def in_period(moment: dt.datetime, period: str | None) -> bool:
    if not period or period not in PERIODS:
        return True
    start, until = PERIODS[period]
    return start <= local(moment).time() < until


@dataclass(frozen=True)
class Wish:
    """What a citizen wrote about the time they want (every part optional)."""

    period: str | None = None
    day: dt.date | None = None
    after: dt.date | None = None  # "next week": from this day on
    clock: dt.time | None = None
    later: bool = False
    choice: int | None = None  # 0-based: which of the shown times

    @property
    def empty(self) -> bool:
        return self == Wish()


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"(?<!\w)" + re.escape(word), text) for word in words)


def read_wish(text: str, now: dt.datetime | None = None) -> Wish:
    """What `text` says about a time. `now` decides what "tomorrow" and "Tuesday" are."""
    folded = " ".join(fold(text or "").replace(",", " ").split())
    folded = folded.rstrip(".!?")
    core = " ".join(w for w in folded.split() if w not in _FILLER)
    for index, words in _ORDINALS.items():
        if core in words:
            return Wish(choice=index)
    base = today(now)
    # "ikke i dag" / "not on Monday": that day is not the wish.
    days = "|".join(re.escape(w) for w in (*_TODAY_WORDS, *_TOMORROW_WORDS,
                                            *(w for ws in _WEEKDAYS.values() for w in ws)))
    folded = re.sub(rf"(?<!\w)(?:ikke|not)(?: (?:pa|on))? (?:{days})\w*", " ", folded)
    day = None
    if _has(folded, _TOMORROW_WORDS):
        day = base + dt.timedelta(days=1)
    elif _has(folded, _TODAY_WORDS):
        day = base
    else:
        for weekday, words in _WEEKDAYS.items():
            if _has(folded, words):
                day = base + dt.timedelta(days=(weekday - base.weekday()) % 7)
                break
    # "i morgen" is tomorrow, not the morning: the day words go before the parts of the day.
    rest = re.sub(r"(?<!\w)(i morgen|imorgen)", " ", folded)
    period = next((name for name, words in _PERIOD_WORDS.items() if _has(rest, words)), None)
    after = None
    if _has(folded, _NEXT_WEEK_WORDS):
        after = base + dt.timedelta(days=7 - base.weekday())
    clock = None
    match = _CLOCK.search(folded)
    if match:
        hour = match.group(1) or match.group(3)
        minute = match.group(2) or "00"
        clock = dt.time(int(hour), int(minute))
    later = _has(folded, _LATER_WORDS)
    return Wish(period=period, day=day, after=after, clock=clock, later=later)
