"""Nobody books every free time: bookings and requests per address are limited
(BOOKING_RATE_LIMIT), on the web and in the API; the assistant, with its token, is not
counted per address (its chats have their own limits)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from portal.core.extensions import db
from tests.booking.own_db import ALCOHOL, booking_app
from tests.booking.web import csrf_token
from tests.chat.stack import API_TOKEN


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "booking_limit", BOOKING_RATE_LIMIT="2/hour")
    yield app
    with app.app_context():
        db.engine.dispose()


def from_address(app: Flask, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def free(client, count: int) -> list[dict]:
    items = client.get(f"/api/v1/offers/{ALCOHOL}/slots").get_json()["items"]
    assert len(items) >= count
    return items[:count]


def test_the_api_stops_a_third_booking_from_one_address(limited_app):
    client = from_address(limited_app, "198.51.100.1")
    first, second, third = free(client, 3)
    for slot in (first, second):
        assert client.post("/api/v1/bookings", json={"slot_id": slot["id"],
                                                     "channel": "chat"}).status_code == 201
    refused = client.post("/api/v1/bookings", json={"slot_id": third["id"], "channel": "chat",
                                                    "lang": "en"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.get_json()["error"] == "too_many_bookings"
    assert "Please wait" in refused.get_json()["message"]
    # Nothing was booked: the time is still free for someone else.
    other = from_address(limited_app, "198.51.100.2")
    assert any(s["id"] == third["id"] for s in free(other, 1) + other.get(
        f"/api/v1/offers/{ALCOHOL}/slots").get_json()["items"])
    assert other.post("/api/v1/bookings", json={"slot_id": third["id"],
                                                "channel": "chat"}).status_code == 201


def test_the_assistant_is_not_counted_per_address(limited_app):
    client = from_address(limited_app, "198.51.100.3")
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    for slot in free(client, 3):
        response = client.post("/api/v1/bookings", headers=headers,
                               json={"slot_id": slot["id"], "channel": "chat"})
        assert response.status_code == 201


def test_the_web_form_says_so_plainly(limited_app):
    client = from_address(limited_app, "198.51.100.4")
    token = csrf_token(client.get(f"/tilbud/{ALCOHOL}/book?channel=chat").get_data(as_text=True))
    statuses = []
    for slot in free(client, 3):
        response = client.post(f"/tilbud/{ALCOHOL}/book", data={
            "csrf_token": token, "slot_id": slot["id"], "channel": "chat", "lang": "da"})
        statuses.append(response.status_code)
    assert statuses == [303, 303, 429]
    assert "Vent" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]
