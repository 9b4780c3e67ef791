"""Reloading content/ never deletes an offer that has bookings (or requests for a time):
it is retired — gone from search, its page and its free times, while its bookings can
still be opened and cancelled with their code. Back in content/, it is shown again.
An offer nobody booked is removed as before.

`flask content load --dir` on an edited copy of content/, as an editor would run it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.booking import service
from portal.catalogue import index
from portal.catalogue import service as catalogue
from portal.catalogue.models import Offer
from portal.core.extensions import db
from tests.booking.own_db import ALCOHOL, HOUSING, ROOT, booking_app

UNBOOKED = "u-turn-koebenhavn"


@pytest.fixture()
def own_app(tmp_path_factory, monkeypatch) -> Iterator[Flask]:
    # A serving portal notices a reload within FINGERPRINT_CHECK_SECONDS; here at once.
    monkeypatch.setattr(index, "FINGERPRINT_CHECK_SECONDS", 0.0)
    app = booking_app(tmp_path_factory, "retire")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def content_dir(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


def load(app: Flask, directory: Path) -> str:
    result = app.test_cli_runner().invoke(args=["content", "load", "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    return result.output


def search(client, **params) -> list[str]:
    body = client.get("/api/v1/offers", query_string={"per_page": 100, **params}).get_json()
    return [item["slug"] for item in body["items"]]


def offer_row(app: Flask, slug: str) -> Offer | None:
    with app.app_context():
        row = db.session.scalar(select(Offer).where(Offer.slug == slug))
        db.session.expunge_all()
        return row


def test_an_offer_with_bookings_is_retired_not_deleted(own_app, content_dir):
    client = own_app.test_client()
    with own_app.app_context():
        offer = catalogue.get_offer(ALCOHOL)
        (slot,) = service.next_slots(offer.id, "chat", count=1)
        booked = service.book(slot.id, "chat", alias="Still mine", lang="da")
        (another,) = service.next_slots(offer.id, "chat", count=1)
        reference, code = booked.booking.reference, booked.code
        housing = catalogue.get_offer(HOUSING)
        service.request_time(housing.id, None, None, "+4520304050", "mornings", "da")
    assert ALCOHOL in search(client, q="alkohol virtuel")
    assert client.get(f"/tilbud/{ALCOHOL}").status_code == 200

    for slug in (ALCOHOL, HOUSING, UNBOOKED):
        (content_dir / "offers" / f"{slug}.yml").unlink()
    output = load(own_app, content_dir)
    assert "1 removed." in output and "2 retired" in output, output

    assert offer_row(own_app, UNBOOKED) is None, "nobody booked it: removed"
    for slug in (ALCOHOL, HOUSING):
        assert offer_row(own_app, slug).retired
        # gone for citizens: search, its page, its API entry, its free times
        assert slug not in search(client, q="alkohol virtuel")
        assert slug not in search(client, virtual=1)
        assert slug not in search(client, municipality="holstebro")
        assert client.get(f"/tilbud/{slug}").status_code == 404
        assert client.get(f"/en/offers/{slug}").status_code == 404
        assert client.get(f"/api/v1/offers/{slug}").status_code == 404
        assert client.get(f"/api/v1/offers/{slug}/slots").status_code == 404
    answer = client.post("/api/v1/bookings", json={"slot_id": another.id, "channel": "chat"})
    assert answer.status_code == 400, "no new bookings"
    assert "slot_id" in answer.get_json()["errors"]

    # ... while the booking is still there for its citizen, with its code.
    headers = {"X-Booking-Code": code}
    mine = client.get(f"/api/v1/bookings/{reference}", headers=headers)
    assert mine.status_code == 200, mine.get_data(as_text=True)[:300]
    assert mine.get_json()["status"] == "booked" and mine.get_json()["offer"] == ALCOHOL
    assert client.delete(f"/api/v1/bookings/{reference}", headers=headers).status_code == 204

    # Back in content/: shown again, with the same id (its bookings still point at it).
    shutil.copy(ROOT / "content" / "offers" / f"{ALCOHOL}.yml", content_dir / "offers")
    load(own_app, content_dir)
    row = offer_row(own_app, ALCOHOL)
    assert not row.retired and row.id == offer.id
    assert ALCOHOL in search(client, q="alkohol virtuel")
    assert client.get(f"/tilbud/{ALCOHOL}").status_code == 200
