"""Shared fixtures: an app on a real database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), migrated with Alembic and loaded from content/.

In CI (CI=true) a test that needs a missing server fails instead of skipping.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from portal import create_app
from portal.catalogue.index import reset_index_cache
from portal.content.loader import read_content, sync_content
from portal.core.extensions import db

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI, when a server or tool a test needs is missing."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI must provide this: {reason}")
        pytest.skip(reason)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def make_app(url: str, **overrides) -> Flask:
    from portal.config import _normalise_db_url
    from tests.chat.stack import API_TOKEN, closed_url

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(url),
        "SECRET_KEY": "test-secret",
        # Never a Rasa that happens to run on this machine: the chat tests choose theirs.
        "RASA_URL": closed_url(),
        # The tests send thousands of API requests from one address; the API's rate
        # limit has its own tests (test_api_clients.py), with its own apps.
        "API_RATE_LIMIT": "",
        "BOOKING_RATE_LIMIT": "",  # booking tests book many times; the limit: test_booking_limit
        "API_TOKENS": {"assistant": API_TOKEN},
        **overrides,
    })
    return app


def reset_database(app: Flask) -> None:
    """An empty database at the latest migration (PostgreSQL's test database is reused)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        reset_index_cache()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The portal with the demo catalogue loaded. Tests must not change its data."""
    app = make_app(database_url(tmp_path_factory))
    reset_database(app)
    with app.app_context():
        sync_content(db.session, read_content(app.config["CONTENT_DIR"], app.config["SEEDS_DIR"]))
        reset_index_cache()
    yield app


@pytest.fixture()
def client(app: Flask):
    return app.test_client()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """`app` served over HTTP on a free local port by werkzeug with a thread per request
    (as `make run` serves it: each open stream has its own thread); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The portal served over HTTP on a free local port, for the browser tests."""
    with served(app) as url:
        yield url


# --- The chat's assistant (bot/): the real Rasa stack, or none ---------------------------

@pytest.fixture(scope="session")
def rasa_stack(app: Flask, live_server: str) -> Iterator:
    """Rasa and its action server from bot/, on free ports, talking to the live portal.

    Started once per test session (about a minute, 1.1 GB) and stopped at its end.
    Skips locally, fails in CI, without bot/.venv or a trained model.
    """
    from tests.chat.stack import MODEL, RASA, RasaStack

    need(RASA.exists(), "the assistant's environment bot/.venv is missing (make bot-venv)")
    need(MODEL.exists(), f"no trained assistant at {MODEL} (make bot-train)")
    stack = RasaStack(live_server)
    try:
        stack.start()
        stack.warm_up()
    except RuntimeError as error:
        stack.stop()
        pytest.fail(f"the assistant did not start: {error}")
    yield stack
    stack.stop()


def _use_bot(app: Flask, client) -> Iterator[None]:
    previous = app.extensions["chat_bot"]
    app.extensions["chat_bot"] = client
    yield
    app.extensions["chat_bot"] = previous


@pytest.fixture()
def with_rasa(app: Flask, rasa_stack) -> Iterator:
    """The portal's chat talks to the real Rasa (a generous timeout: 2 shared cores)."""
    from portal.chat.rasa import RasaClient
    from tests.chat.stack import RASA_TOKEN

    yield from _use_bot(app, RasaClient(rasa_stack.rasa_url, timeout=60, token=RASA_TOKEN))


@pytest.fixture()
def stub_rasa(app: Flask) -> Iterator:
    """The portal's chat talks to a real HTTP server that answers as the test sets."""
    from portal.chat.rasa import RasaClient
    from tests.chat.stack import StubRasa

    server = StubRasa()
    for _ in _use_bot(app, RasaClient(server.url, timeout=1)):
        yield server
    server.close()


@pytest.fixture()
def rasa_down(app: Flask) -> Iterator:
    """The portal's chat points at a port where nothing listens."""
    from portal.chat.rasa import RasaClient
    from tests.chat.stack import closed_url

    yield from _use_bot(app, RasaClient(closed_url(), timeout=2))
