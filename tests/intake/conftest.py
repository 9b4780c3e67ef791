"""The intake tests' app: a database of its own with content/ and the demo teams (the
session app must not change), no per-address sending limit (it has its own test)."""

from __future__ import annotations

import pytest

from tests.booking.own_db import booking_app


@pytest.fixture(scope="module")
def intake_app(tmp_path_factory):
    return booking_app(tmp_path_factory, "intake", INTAKE_RATE_LIMIT="")
