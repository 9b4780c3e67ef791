"""A booking database of a test module's own, for the tests that write bookings.

The session `app` (tests/conftest.py) is shared and must not change, so these tests get
their own database, as tests/test_loader.py does:

- on SQLite, a file of their own in a temporary folder;
- on PostgreSQL (TEST_DATABASE_URL), a sibling database on the same server named after
  the test database with a suffix (`test_booking`, ...), created here when missing.

`booking_app` migrates it, loads content/ and the demo staff and schedules (`flask demo
load`, as `make run` does): the demo treaters' lunch and evening chat hours for
virtual alcohol treatment and the housing-support team's daytime hours.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import make_url

from portal import demo
from portal.catalogue.index import reset_index_cache
from portal.content.loader import read_content, sync_content
from portal.core.extensions import db
from tests.conftest import ROOT, make_app, need, reset_database

ALCOHOL = demo.ALCOHOL
HOUSING = demo.HOUSING
PYTHON = sys.executable
FLASK = [PYTHON, "-m", "flask", "--app", "portal"]


def postgresql() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL"))


def own_database_url(tmp_path: Path, suffix: str) -> str:
    """SQLite: a file in `tmp_path`; PostgreSQL: the test database's sibling `<name>_<suffix>`."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
    import psycopg

    server = make_url(url).set(drivername="postgresql")
    name = f"{server.database}_{suffix}"
    try:
        with psycopg.connect(server.render_as_string(hide_password=False),
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        need(False, f"PostgreSQL at {server.render_as_string()} is needed: {exc}")
    return server.set(database=name).render_as_string(hide_password=False)


def load_everything(app: Flask) -> None:
    """An empty database at the latest migration, with content/ and the demo staff."""
    reset_database(app)
    with app.app_context():
        sync_content(db.session, read_content(app.config["CONTENT_DIR"],
                                              app.config["SEEDS_DIR"]))
        demo.load()
        reset_index_cache()


def booking_app(tmp_path_factory: pytest.TempPathFactory, suffix: str, **overrides) -> Flask:
    app = make_app(own_database_url(tmp_path_factory.mktemp(suffix), suffix), **overrides)
    load_everything(app)
    return app


def subprocess_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `flask` or portal process on `database_url` (no Rasa, no
    FLASK_DEBUG, a fixed secret so that sessions made by one process read in another)."""
    from tests.chat.stack import closed_url

    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
           "RASA_URL": closed_url(), "PYTHONUNBUFFERED": "1", "FLASK_APP": "portal", **extra}
    env.pop("FLASK_DEBUG", None)
    return env


__all__ = ["ALCOHOL", "FLASK", "HOUSING", "PYTHON", "ROOT", "booking_app", "load_everything",
           "own_database_url", "postgresql", "subprocess_env"]
