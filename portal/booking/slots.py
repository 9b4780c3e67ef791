"""Free times: what the weekly rules open, minus exceptions and bookings.

Rules are Copenhagen wall-clock times ("Tuesdays 17:00-20:00, 30-minute sessions").
Each session starts at a wall-clock time of the rule and lasts its minutes of real time.
Across daylight-saving changes: a wall-clock time that does not exist that day (the
spring gap) offers no session; one that exists twice (the autumn repeat) is offered
once, at its first occurrence. A session is over by the moment the clock first reads
the closing time, and never overlaps the rule's session before it (in spring, 01:30
plus 45 minutes of real time is 03:15, so 03:00 is not offered that night). A slot's id
names the rule and the start in UTC, so it can be checked again when it is booked.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Copenhagen")
UTC = dt.UTC
# Canonical only (what `slot_id` writes): one slot, one id.
_SLOT_ID = re.compile(r"([1-9][0-9]{0,8})-([0-9]{12})")


@dataclass(frozen=True)
class Rule:
    """What the slot maths needs of a `ScheduleRule`."""

    id: int
    offer_id: int
    treater_id: int
    weekday: int
    opens: dt.time
    closes: dt.time
    minutes: int
    channels: tuple[str, ...]
    valid_from: dt.date
    valid_until: dt.date | None


@dataclass(frozen=True)
class Busy:
    """A treater's unavailable time (a booking or an exception), in UTC."""

    treater_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Slot:
    rule_id: int
    offer_id: int
    treater_id: int
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime
    channels: tuple[str, ...]

    @property
    def id(self) -> str:
        return slot_id(self.rule_id, self.starts_at)

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(TZ)


def slot_id(rule_id: int, starts_at: dt.datetime) -> str:
    return f"{rule_id}-{starts_at.astimezone(UTC):%Y%m%d%H%M}"


def parse_slot_id(value: str) -> tuple[int, dt.datetime] | None:
    """(rule id, start in UTC), or None when `value` cannot be a slot id."""
    match = _SLOT_ID.fullmatch(value or "")
    if not match:
        return None
    try:
        start = dt.datetime.strptime(match.group(2), "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(match.group(1)), start


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def starts_of(rule: Rule, day: dt.date) -> Iterator[dt.datetime]:
    """The session starts (UTC) a rule opens on a Copenhagen calendar day."""
    if day.weekday() != rule.weekday or day < rule.valid_from:
        return
    if rule.valid_until is not None and day > rule.valid_until:
        return
    step = dt.timedelta(minutes=rule.minutes)
    wall = dt.datetime.combine(day, rule.opens)
    closes = dt.datetime.combine(day, rule.closes)
    closes_at = _first_reading(closes)
    free_from = _first_reading(wall)
    while wall + step <= closes:
        start = wall.replace(tzinfo=TZ).astimezone(UTC)  # fold=0: the first of a repeat
        if (_reads(start) == wall  # else: in the spring gap
                and start >= free_from and start + step <= closes_at):
            yield start
            free_from = start + step
        wall += step


def _reads(moment: dt.datetime) -> dt.datetime:
    """What a Copenhagen clock reads at `moment` (naive)."""
    return moment.astimezone(TZ).replace(tzinfo=None)


def _first_reading(wall: dt.datetime) -> dt.datetime:
    """The first moment (UTC) the Copenhagen clock reads `wall` or later: its first
    occurrence, or for a time in the spring gap the moment the clock jumps past it."""
    moment = wall.replace(tzinfo=TZ).astimezone(UTC)
    if _reads(moment) == wall:
        return moment
    after = wall
    while _reads(after.replace(tzinfo=TZ).astimezone(UTC)) != after:  # at most the gap
        after += dt.timedelta(minutes=1)
    return after.replace(tzinfo=TZ).astimezone(UTC)


class _BusyTimes:
    """One treater's busy times, asked "does [start, end) overlap any?" in O(log n):
    of the busy times that start before `end`, does the one that reaches furthest end
    after `start`? (A treater with hundreds of bookings, asked for weeks of slots.)"""

    def __init__(self, items: list[Busy]) -> None:
        items = sorted(items, key=lambda b: b.starts_at)
        self.starts = [b.starts_at for b in items]
        self.reach = list(accumulate((b.ends_at for b in items), max))

    def overlap(self, start: dt.datetime, end: dt.datetime) -> bool:
        before_end = bisect_left(self.starts, end)
        return before_end > 0 and self.reach[before_end - 1] > start


def free_slots(rules: Iterable[Rule], busy: Iterable[Busy], first_day: dt.date,
               last_day: dt.date, not_before: dt.datetime,
               not_after: dt.datetime) -> list[Slot]:
    """Every free slot on the Copenhagen days `first_day`..`last_day`, starting within
    [`not_before`, `not_after`], in time order."""
    busy_by_treater: dict[int, list[Busy]] = {}
    for item in busy:
        busy_by_treater.setdefault(item.treater_id, []).append(item)
    busy_times = {treater: _BusyTimes(items) for treater, items in busy_by_treater.items()}
    found: dict[tuple[int, dt.datetime], Slot] = {}
    day = first_day
    while day <= last_day:
        for rule in rules:
            taken = busy_times.get(rule.treater_id)
            for start in starts_of(rule, day):
                end = start + dt.timedelta(minutes=rule.minutes)
                if not not_before <= start <= not_after:
                    continue
                if taken is not None and taken.overlap(start, end):
                    continue
                key = (rule.treater_id, start)
                if key not in found:  # two rules of one treater never give one time twice
                    found[key] = Slot(rule.id, rule.offer_id, rule.treater_id, start, end,
                                      rule.channels)
        day += dt.timedelta(days=1)
    return sorted(found.values(), key=lambda s: (s.starts_at, s.treater_id))
