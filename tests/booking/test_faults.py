"""Faults: a portal killed in the middle of a booking, a drain killed in the middle of
sending. Real processes on a database of their own, killed with SIGKILL (no cleanup,
no Python rollback: only the database's own transaction keeps things whole).

Where to kill is found without any test hook in the portal: the processes start with
tests/booking/killpoint/ first on their PYTHONPATH, whose `sitecustomize.py` makes one
named function (e.g. `portal.outbox.service.queue`, which a booking calls after its row
is inserted and before the commit) write a marker file and wait to be killed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from portal.booking import service
from portal.booking.models import Booking
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat.models import Room
from portal.outbox.models import PENDING, SENDING, SENT, OutboxMessage
from tests.booking.own_db import (
    ALCOHOL,
    FLASK,
    PYTHON,
    ROOT,
    booking_app,
    subprocess_env,
)

KILLPOINT = Path(__file__).resolve().parent / "killpoint"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "faults")
    yield app
    with app.app_context():
        db.engine.dispose()


def database_url(app: Flask) -> str:
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=False)


def killpoint_env(app: Flask, target: str, marker: Path) -> dict[str, str]:
    return subprocess_env(database_url(app), PYTHONPATH=f"{KILLPOINT}{os.pathsep}{ROOT}",
                          INDGANG_TEST_KILLPOINT=target,
                          INDGANG_TEST_KILLPOINT_MARKER=str(marker))


def wait_for_marker(marker: Path, process: subprocess.Popen, seconds: float = 60) -> int:
    """The pid the kill point wrote, once the process has reached it."""
    deadline = time.monotonic() + seconds
    while not marker.exists():
        assert process.poll() is None, f"the process ended ({process.returncode}) first"
        assert time.monotonic() < deadline, "the process never reached the kill point"
        time.sleep(0.02)
    return int(marker.read_text())


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        found = {name: db.session.scalar(select(func.count()).select_from(model))
                 for name, model in (("bookings", Booking), ("rooms", Room),
                                     ("outbox", OutboxMessage))}
        db.session.rollback()
        return found


# --- a portal killed inside the booking transaction -------------------------------------


@dataclass
class Portal:
    url: str
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def portal(env: dict[str, str], log: Path) -> Iterator[Portal]:
    """The production server (gunicorn, one sync worker) on a free port."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "portal:create_app()"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-2000:]
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    url + "/api/v1/situations", timeout=5) as response:
                if response.status == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        yield Portal(url, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # our own process group only
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def post_booking(url: str, slot_id: str) -> tuple[int, dict] | Exception:
    body = json.dumps({"slot_id": slot_id, "channel": "chat", "alias": "Killed midway",
                       "email": "killed@example.invalid", "phone": "20 30 40 50",
                       "lang": "da"}).encode()
    request = urllib.request.Request(url + "/api/v1/bookings", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError as error:  # the connection dropped: what a killed server gives
        return error


def test_a_portal_killed_inside_the_booking_transaction_leaves_no_half_made_booking(
        own_app, tmp_path):
    with own_app.app_context():
        offer_id = catalogue.get_offer(ALCOHOL).id
        (slot,) = service.next_slots(offer_id, "chat", count=1)
    before = counts(own_app)
    marker = tmp_path / "inside-the-transaction"
    env = killpoint_env(own_app, "portal.outbox.service:queue", marker)

    with portal(env, tmp_path / "gunicorn.log") as server:
        answer: list = []
        client = threading.Thread(target=lambda: answer.append(post_booking(server.url,
                                                                            slot.id)))
        client.start()
        worker = wait_for_marker(marker, server.process)
        assert worker != server.process.pid, "the worker, not gunicorn's master"
        os.kill(worker, signal.SIGKILL)  # the one process we saw inside the transaction
        client.join(timeout=60)

        assert isinstance(answer[0], Exception), f"the citizen got {answer[0]!r}"
        assert counts(own_app) == before, "no booking, no chat room, no message"
        with own_app.app_context():
            assert slot.id in {s.id for s in service.next_slots(offer_id, "chat", count=3)}
            db.session.rollback()

        # gunicorn starts a new worker; the same time can be booked, and only now is
        # anything written (the kill point lets later calls through).
        deadline = time.monotonic() + 60
        while True:
            retry = post_booking(server.url, slot.id)
            if not isinstance(retry, Exception) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert not isinstance(retry, Exception) and retry[0] == 201, retry
    after = counts(own_app)
    assert after["bookings"] == before["bookings"] + 1
    assert after["rooms"] == before["rooms"] + 1
    assert after["outbox"] > before["outbox"]
    with own_app.app_context():
        booking = db.session.scalar(select(Booking).where(
            Booking.reference == retry[1]["reference"]))
        assert (booking.treater_id, booking.starts_at) == (slot.treater_id, slot.starts_at)
        db.session.rollback()


# --- a drain killed while sending ---------------------------------------------------------


def flask(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_a_drain_killed_while_sending_never_sends_that_message_again(own_app, tmp_path):
    """Killed after claiming a message and while handing it to the sender: whether it
    went is unknown, so no later drain sends it (a citizen never gets it twice), the
    other messages still go, and `flask outbox status` names it for a person to check."""
    with own_app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.status == PENDING)
                           .values(status="cancelled"))  # earlier tests' messages
        offer_id = catalogue.get_offer(ALCOHOL).id
        for slot, who in zip(service.next_slots(offer_id, "chat", count=2),
                             ("first", "second"), strict=True):
            service.book(slot.id, "chat", email=f"{who}@example.invalid", lang="da")
        due = set(db.session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.status == PENDING, OutboxMessage.send_after <= utcnow())))
        assert len(due) >= 2  # at least the two confirmations
        db.session.rollback()

    def statuses() -> dict[int, str]:
        with own_app.app_context():
            found = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.status)
                                            .where(OutboxMessage.id.in_(due))).all())
            db.session.rollback()
            return found

    marker = tmp_path / "inside-the-sender"
    env = killpoint_env(own_app, "portal.outbox.senders:LogSender.send", marker)
    drain = subprocess.Popen([*FLASK, "outbox", "drain"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        assert wait_for_marker(marker, drain) == drain.pid
    finally:
        os.kill(drain.pid, signal.SIGKILL)
        drain.wait(timeout=30)

    killed = statuses()
    (hit,) = [i for i, value in killed.items() if value == SENDING]
    assert {value for i, value in killed.items() if i != hit} == {PENDING}

    done = flask(env, "outbox", "drain")  # the kill point now lets sending through
    assert done.returncode == 0, done.stderr
    assert f"{len(due) - 1} sent" in done.stdout, done.stdout
    drained = statuses()
    assert drained.pop(hit) == SENDING, "never sent a second time"
    assert set(drained.values()) == {SENT}

    listed = flask(env, "outbox", "status")
    assert f"#{hit} " not in listed.stdout, "claimed a moment ago: it may still be sending"
    with own_app.app_context():  # ten minutes on, nobody can be sending it any more
        message = db.session.get(OutboxMessage, hit)
        message.claimed_at = message.claimed_at - dt.timedelta(minutes=11)
        key = message.key
        db.session.commit()
    listed = flask(env, "outbox", "status")
    assert listed.returncode == 0, listed.stderr
    assert "1 message(s) with unknown outcome" in listed.stdout
    assert f"#{hit} {key} (email)" in listed.stdout
    again = flask(env, "outbox", "drain")
    assert again.returncode == 0 and statuses()[hit] == SENDING
