"""Fixtures: a REAL portal (its own venv, a fresh SQLite database) and tracker helpers.

The portal is started from the repository's `.venv` (the portal's Python 3.11
environment, `make venv`) the way it runs in production, loaded with the repository's
content and the demo staff's schedules (`flask demo load`: free times to book), on a free
port, with an API token that the test client sends (as the action server does with
PORTAL_API_TOKEN). Without that venv the tests are skipped with a
reason; with CI=true they fail instead, because CI must test the action server against
the real API.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

BOT_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = BOT_DIR.parent
PORTAL_BIN = REPO_DIR / ".venv" / "bin"

if str(BOT_DIR) not in sys.path:  # `actions` and `components` are imported as in Rasa
    sys.path.insert(0, str(BOT_DIR))

from actions.portal import PortalClient  # noqa: E402
from fake_portal import TOKEN, FakePortal  # noqa: E402
from rasa_sdk import Tracker  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing_portal(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the action tests must run against the real portal)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def api_token() -> str:
    """The token the test portal accepts from the action server."""
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory: pytest.TempPathFactory, api_token: str) -> Iterator[str]:
    """The base URL of a real portal with the demo content, for this test session."""
    flask = PORTAL_BIN / "flask"
    if not flask.exists():
        _missing_portal(f"the portal's virtual environment is missing ({flask}); "
                        "create it with `make venv`")
    tmp = tmp_path_factory.mktemp("portal")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
        "SECRET_KEY": "action-tests",
        "FLASK_APP": "portal",
        "PORTAL_API_TOKEN": api_token,
    }
    for step in (["db", "upgrade"], ["content", "load"], ["demo", "load"]):
        done = subprocess.run([str(flask), "--app", "portal", *step], cwd=REPO_DIR, env=env,
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            pytest.fail(f"flask {' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
    port = free_port()
    log = open(tmp / "portal.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(flask), "--app", "portal", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/api/v1/municipalities", timeout=2,
                                headers={"Authorization": f"Bearer {api_token}"}).ok:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the portal did not start; see {tmp / 'portal.log'}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def client(portal_url: str, api_token: str) -> PortalClient:
    return PortalClient(base_url=portal_url, token=api_token)


def closed_url() -> str:
    """An address where nothing listens (connections are refused at once)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture()
def down_client() -> PortalClient:
    """A client whose portal never answered (nothing listens on the port)."""
    return PortalClient(base_url=closed_url(), timeout=0.5, token=None)


@pytest.fixture()
def fake() -> Iterator[FakePortal]:
    """A fake portal API on a free port (fake_portal.py), for the intake, handoff and
    offer-question actions: it records every request."""
    portal = FakePortal().start()
    yield portal
    portal.stop()


@pytest.fixture()
def fake_client(fake: FakePortal) -> PortalClient:
    return PortalClient(base_url=fake.url, token=TOKEN)


@pytest.fixture()
def gone_client(portal_url: str, api_token: str) -> PortalClient:
    """A client that has talked to the portal (and seen its paths), now gone down."""
    client = PortalClient(base_url=portal_url, timeout=0.5, token=api_token)
    for lang in ("da", "en"):
        client.intake_path(lang)
        client.search_path(lang)
    client.base_url = closed_url()
    return client


def make_tracker(text: str = "", intent: str | None = None,
                 entities: list[dict[str, Any]] | None = None,
                 metadata: dict[str, Any] | None = None,
                 active_loop: str | None = None, **slots: Any) -> Tracker:
    """A real rasa_sdk Tracker as the action server receives it after a user message."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    all_slots = {"lang": "da", "municipality": None, "municipality_name": None,
                 "metadata_municipality": None, "situation": None,
                 "search_text": None, "relation": None, "requested_slot": None,
                 "booking_offer": None, "booking_channel": None, "booking_slot": None,
                 "booking_alias": None, "booking_contact": None, "booking_state": None,
                 "booking_status": None}
    all_slots.update(slots)
    return Tracker("test", all_slots, latest, [], False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value}
