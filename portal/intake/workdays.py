"""Danish working days: Monday to Friday, except public holidays.

Used for the caseworker's deadline (first contact within N working days). The holidays
are the Danish public holidays ("helligdage"); Store Bededag is not one since 2024.
"""

from __future__ import annotations

import datetime as dt
from functools import cache


def easter(year: int) -> dt.date:
    """Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = ((h + el - 7 * m + 114) % 31) + 1
    return dt.date(year, month, day)


@cache
def holidays(year: int) -> frozenset[dt.date]:
    e = easter(year)
    days = {dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26),
            dt.date(year, 6, 5)}  # Grundlovsdag (a day off in practice)
    for offset in (-3, -2, 0, 1, 39, 49, 50):  # skærtorsdag ... 2. pinsedag
        days.add(e + dt.timedelta(days=offset))
    if year < 2024:
        days.add(e + dt.timedelta(days=26))  # Store Bededag
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The working day `count` working days after `day` (a day off counts from the next
    working day)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
