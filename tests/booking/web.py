"""Helpers for the citizen's booking tests (web pages and API): a browser-like client
with its own address (the code limits count per address), the CSRF token of a page,
and how people read a time, written out here independently of the portal's code."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from portal.booking.slots import parse_slot_id

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_addresses = itertools.count(1)

DA_DAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
DA_MONTHS = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.",
             "nov.", "dec."]
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def citizen(app: Flask) -> FlaskClient:
    """A fresh browser (own cookies) from an address of its own."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.{next(_addresses) % 250}.{next(_addresses) % 250}"
    return client


def csrf_token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def code_on(html: str) -> str:
    """The code as the confirmation shows it (its groups in spans), e.g. ABCD-EFGH-JKMN-PQRS."""
    shown = re.search(r'<p class="booking-code"[^>]*>(.*?)</p>', html, re.S).group(1)
    shown = re.sub(r'<span class="sr-only">.*?</span>', "", shown)
    return re.sub(r"<[^>]+>", "", shown).strip()


def shows_code(html: str, code: str) -> bool:
    """Whether the page shows the code, however its parts are marked up."""
    return code in re.sub(r"<[^>]+>", "", html)


def slot_ids(html: str) -> list[str]:
    """The free times a page links to (`slot=<id>`), in page order."""
    return list(dict.fromkeys(re.findall(r"slot=(\d+-\d{12})", html)))


def local_start(slot_id: str) -> dt.datetime:
    return parse_slot_id(slot_id)[1].astimezone(COPENHAGEN)


def moment_da(moment: dt.datetime) -> str:
    """"tirsdag 1. dec. kl. 17.30"."""
    m = moment.astimezone(COPENHAGEN)
    return f"{DA_DAYS[m.weekday()]} {m.day}. {DA_MONTHS[m.month - 1]} kl. {m:%H.%M}"


def moment_en(moment: dt.datetime) -> str:
    """"Tuesday 1 Dec, 17:30"."""
    m = moment.astimezone(COPENHAGEN)
    return f"{EN_DAYS[m.weekday()]} {m.day} {EN_MONTHS[m.month - 1]}, {m:%H:%M}"


def text_of(html: str) -> str:
    """The page's visible words, tags removed and spaces collapsed (for assertions)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&amp;", "&")


def field_error(html: str, name: str) -> str | None:
    """The error message shown at the field `name` (DKFDS markup), or None."""
    match = re.search(rf'<span class="form-error-message" id="f-{name}-error">'
                      rf'<span class="sr-only">[^<]*</span>([^<]*)</span>', html)
    return match.group(1).strip() if match else None


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', html)
    return match.group(1) if match else None
