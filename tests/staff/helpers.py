"""What the staff and live-session tests share: browsers, signing in, members and
bookings of their own.

Each test makes the members and bookings it needs (a fresh treater per booking, so
that bookings made "now" never overlap one another: PostgreSQL's exclusion constraint
would refuse that, as it should). Every test client gets an address of its own, so the
per-address rate limits (sign-in, booking codes) count each "browser" separately, as
they would count people on different networks.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import itertools
import re

from flask import Flask
from flask.testing import FlaskClient

from portal import demo
from portal.booking.models import BOOKED, Booking
from portal.catalogue import service as catalogue
from portal.core import codes
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat import service as livechat
from portal.staff import service as staff
from portal.staff.models import TREATER

PASSWORD = "a-long-test-password"
SIGN_IN = "/personale/log-ind"
_numbers = itertools.count(1)


def browser(app: Flask) -> FlaskClient:
    """A test client from an address of its own (10.x.y.z)."""
    n = next(_numbers)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return client


def csrf_token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def token(client: FlaskClient, url: str = SIGN_IN) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def text_of(html: str) -> str:
    """The visible text of a page, without its JSON blocks (scripts)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def error_text(html: str) -> str | None:
    """The text of the page's error alert (role="alert"), if any."""
    match = re.search(r'role="alert".*?<p class="alert-text"[^>]*>(.*?)</p>', html, re.S)
    return html_lib.unescape(" ".join(match.group(1).split())) if match else None


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, lang: str = "da",
            **extra):
    url = SIGN_IN if lang == "da" else "/en/staff/sign-in"
    return client.post(url, data={"csrf_token": token(client, url), "email": email,
                                  "password": password, **extra})


def new_member(app: Flask, roles: tuple[str, ...] = (TREATER,),
               unit: str = "behandlingscenter-holstebro", password: str = PASSWORD,
               **fields) -> tuple[int, str]:
    """A new staff member of `unit` (id, e-mail)."""
    email = f"member{next(_numbers)}@test.invalid"
    with app.app_context():
        member = staff.create_member(email, f"Test {email}", password, list(roles),
                                     [staff.get_unit(unit)] if unit else [])
        for name, value in fields.items():
            setattr(member, name, value)
        db.session.commit()
        return member.id, email


def treater_client(app: Flask, unit: str = "behandlingscenter-holstebro"
                   ) -> tuple[FlaskClient, int]:
    """A browser with a new treater of `unit` signed in (client, member id)."""
    member_id, email = new_member(app, unit=unit)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client, member_id


def offer_id(app: Flask, slug: str = demo.ALCOHOL) -> int:
    with app.app_context():
        return catalogue.get_offer(slug).id


def make_booking(app: Flask, treater_id: int, starts_at: dt.datetime | None = None,
                 minutes: int = 30, channel: str = "chat", alias: str | None = "Kim",
                 phone: str | None = None, offer: str = demo.ALCOHOL) -> tuple[str, str, int]:
    """A booking of `treater_id` (now minus 5 minutes by default: a session going on),
    as `booking.service.book` makes them: (reference, code, room id or 0)."""
    starts_at = starts_at or utcnow().replace(microsecond=0) - dt.timedelta(minutes=5)
    code = codes.new_code()
    with app.app_context():
        booking = Booking(
            reference=codes.new_reference(), code_hash=codes.hash_code(code),
            offer_id=catalogue.get_offer(offer).id, treater_id=treater_id,
            starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes),
            channel=channel, status=BOOKED, alias=alias, phone=phone, lang="da")
        if channel == "chat":
            booking.room_id = livechat.open_room("booking").id
        db.session.add(booking)
        db.session.commit()
        return booking.reference, code, booking.room_id or 0


def open_session(client: FlaskClient, reference: str, code: str) -> None:
    """The citizen gives the code on the session page (this browser may then see it)."""
    page = f"/samtale/{reference}"
    response = client.post(page, data={"csrf_token": token(client, page), "code": code})
    assert response.status_code == 303, response.get_data(as_text=True)
