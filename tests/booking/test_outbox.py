"""The outbox: what is due is sent once; a failed send is retried later and given up
after `MAX_ATTEMPTS`; a send whose outcome is unknown is never repeated.

The senders are real objects of the pluggable interface (`portal.outbox.senders`):
`Recorder` below keeps what it was given and raises `SendError` (the message certainly
did not go) or another error (the outcome is unknown) when told; the `LogSender` is the
one development uses. Time passes by giving `drain` a later `now`.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, select

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.outbox import service as outbox
from portal.outbox.models import CANCELLED, FAILED, PENDING, SENDING, SENT, OutboxMessage
from portal.outbox.senders import LogSender, SendError
from tests.booking.own_db import FLASK, ROOT, booking_app, subprocess_env
from tests.conftest import make_app, reset_database

MINUTE = dt.timedelta(minutes=1)


class Recorder:
    """A sender that records each message it is handed; `fail_next` makes the next sends
    fail for certain (SendError), `lose_next` makes them end with an unknown outcome."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[tuple[int, str, str]] = []
        self.fail_next = 0
        self.lose_next = 0
        self.delay = delay
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        time.sleep(self.delay)  # a mail server takes a moment: drains overlap
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                raise SendError("421 try again later")
            if self.lose_next:
                self.lose_next -= 1
                raise TimeoutError("no answer after DATA: delivered or not?")
            self.sent.append((message.id, message.recipient, message.body))

    def ids(self) -> list[int]:
        return [item[0] for item in self.sent]


@pytest.fixture(scope="module")
def own_app(tmp_path_factory) -> Iterator[Flask]:
    app = booking_app(tmp_path_factory, "outbox")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def ctx(own_app) -> Iterator[Flask]:
    """An app context on an empty outbox."""
    with own_app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        yield own_app
        db.session.rollback()


def queue(key: str, send_after: dt.datetime | None = None, channel: str = "email",
          recipient: str = "someone@example.invalid") -> int:
    message = outbox.queue(key, channel, recipient, "Subject", f"Body of {key}", send_after)
    db.session.commit()
    return message.id


def status(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_what_is_due_is_sent_once_and_the_rest_when_its_time_comes(ctx):
    now = utcnow()
    first, second = queue("a", now - MINUTE), queue("b", now)
    later = queue("c", now + 30 * MINUTE, channel="sms", recipient="+4520304050")
    recorder = Recorder()
    senders = {"email": recorder, "sms": recorder}

    result = outbox.drain(senders, now=now)
    assert (result.sent, result.retried, result.failed, result.unknown) == (2, 0, 0, 0)
    assert recorder.ids() == [first, second]
    assert status(first).status == SENT and status(first).sent_at is not None
    assert status(later).status == PENDING

    assert outbox.drain(senders, now=now + 29 * MINUTE).sent == 0
    assert outbox.drain(senders, now=now + 30 * MINUTE).sent == 1
    for _ in range(3):
        outbox.drain(senders, now=now + dt.timedelta(days=1))
    assert recorder.ids() == [first, second, later], "each message once, however often drained"
    assert recorder.sent[2][1] == "+4520304050"


def test_the_same_message_is_never_queued_twice(ctx):
    first = queue("booking:ABCD-1234:confirmation:0")
    again = queue("booking:ABCD-1234:confirmation:0")
    assert first == again
    assert len(list(db.session.scalars(select(OutboxMessage)))) == 1


def test_a_failed_send_is_retried_with_back_off_and_given_up_after_max_attempts(ctx):
    now = utcnow()
    message = queue("flaky", now)
    recorder = Recorder()
    recorder.fail_next = outbox.MAX_ATTEMPTS  # the mail server refuses every time
    senders = {"email": recorder}

    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        result = outbox.drain(senders, now=now)
        row = status(message)
        assert row.attempts == attempt and row.last_error == "421 try again later"
        if attempt < outbox.MAX_ATTEMPTS:
            assert (result.retried, row.status) == (1, PENDING)
            waits.append(row.send_after - now)
            # not before its time ...
            assert outbox.drain(senders, now=row.send_after - dt.timedelta(seconds=1)).retried == 0
            assert status(message).attempts == attempt
            now = row.send_after  # ... and then again
        else:
            assert (result.failed, row.status) == (1, FAILED)
    assert waits == [MINUTE * 2 ** i for i in range(outbox.MAX_ATTEMPTS - 1)]  # 1, 2, 4, ...

    recorder.fail_next = 0  # the server is back: a message given up on stays given up
    outbox.drain(senders, now=now + dt.timedelta(days=1))
    assert recorder.sent == [] and status(message).status == FAILED


def test_a_send_that_fails_once_goes_on_the_retry(ctx):
    now = utcnow()
    message = queue("once", now)
    recorder = Recorder()
    recorder.fail_next = 1
    outbox.drain({"email": recorder}, now=now)
    outbox.drain({"email": recorder}, now=now + MINUTE)
    assert recorder.ids() == [message]
    assert status(message).status == SENT and status(message).attempts == 2


def test_a_channel_without_a_sender_is_retried_not_lost(ctx):
    now = utcnow()
    message = queue("sms-without-gateway", now, channel="sms", recipient="+4520304050")
    result = outbox.drain({"email": Recorder()}, now=now)
    assert result.retried == 1
    assert status(message).status == PENDING and "no sender for sms" in status(message).last_error
    recorder = Recorder()
    outbox.drain({"email": recorder, "sms": recorder}, now=now + MINUTE)
    assert recorder.ids() == [message]


def test_an_unknown_outcome_is_left_sending_and_never_sent_again(ctx, own_app):
    now = utcnow()
    lost, fine = queue("lost", now - MINUTE), queue("fine", now)
    recorder = Recorder()
    recorder.lose_next = 1
    result = outbox.drain({"email": recorder}, now=now)
    assert (result.sent, result.unknown) == (1, 1)
    assert status(lost).status == SENDING and recorder.ids() == [fine]

    for later in (MINUTE, dt.timedelta(hours=1), dt.timedelta(days=3)):
        outbox.drain({"email": recorder}, now=now + later)
    assert recorder.ids() == [fine], "possibly delivered once: never a second time"

    assert outbox.stuck(now=now + 5 * MINUTE) == []  # a drain may still be at it
    assert [m.id for m in outbox.stuck(now=now + 11 * MINUTE)] == [lost]
    row = status(lost)
    row.claimed_at -= 11 * MINUTE  # ten minutes later, for `flask outbox status`
    db.session.commit()
    listed = own_app.test_cli_runner().invoke(args=["outbox", "status"])
    assert listed.exit_code == 0
    assert "1 message(s) with unknown outcome" in listed.output
    assert f"#{lost} lost (email)" in listed.output


def test_cancelled_messages_are_not_sent(ctx):
    now = utcnow()
    reminder = queue("booking:ABCD-1234:reminder:0:email", now + MINUTE)
    other = queue("booking:ABCD-1235:reminder:0:email", now + MINUTE)
    like = queue("booking:ABCDX1234:reminder:0:email", now + MINUTE)  # '-' is no wildcard
    assert outbox.cancel("booking:ABCD-1234:reminder:") == 1
    db.session.commit()
    recorder = Recorder()
    outbox.drain({"email": recorder}, now=now + MINUTE)
    assert sorted(recorder.ids()) == sorted([other, like])
    assert status(reminder).status == CANCELLED


@pytest.mark.parametrize("drains", [2, 4])
def test_drains_at_the_same_time_send_each_message_once(ctx, own_app, drains):
    """`flask outbox drain` from a timer while another still runs (or two servers): each
    claims a message before sending it, so no message goes twice. Threads, each with
    its own database connection; on PostgreSQL (TEST_DATABASE_URL) as in production."""
    now = utcnow()
    ids = [queue(f"many:{i}", now - dt.timedelta(seconds=i)) for i in range(40)]
    recorder = Recorder(delay=0.005)
    start = threading.Barrier(drains)
    results = []

    def drain() -> None:
        with own_app.app_context():
            start.wait()
            results.append(outbox.drain({"email": recorder}, now=now))

    threads = [threading.Thread(target=drain) for _ in range(drains)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(recorder.ids()) == sorted(ids), "every message, and each once"
    assert Counter(recorder.ids()).most_common(1)[0][1] == 1
    assert sum(r.sent for r in results) == len(ids)
    assert sum(1 for r in results if r.sent) >= 2, "the drains really ran side by side"
    assert {status(i).status for i in ids} == {SENT}


def test_the_log_sender_writes_the_message_to_the_log(ctx, caplog):
    """Development's sender: the message is in the log (and kept for a look)."""
    message = queue("logged", recipient="citizen@example.invalid")
    sender = LogSender()
    # Alembic's logging set-up (migrations run in this test process) disables the
    # loggers that existed before it; a served portal never migrates in-process.
    logging.getLogger("portal.outbox").disabled = False
    with caplog.at_level(logging.INFO, logger="portal.outbox"):
        assert outbox.drain({"email": sender}).sent == 1
    assert "citizen@example.invalid" in caplog.text and "Body of logged" in caplog.text
    assert sender.sent[-1]["to"] == "citizen@example.invalid"
    assert status(message).status == SENT


def test_flask_outbox_drain_shows_what_the_log_sender_sends(ctx, own_app):
    """`make run` runs `flask outbox drain --every 30`: in development the e-mails and
    SMS are read in its output."""
    queue("shown", utcnow() - MINUTE, recipient="reader@example.invalid")
    db.session.commit()
    url = db.engine.url.render_as_string(hide_password=False)
    done = subprocess.run([*FLASK, "outbox", "drain"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=subprocess_env(url))
    assert done.returncode == 0, done.stderr
    assert "outbox: 1 sent" in done.stdout
    assert "email to reader@example.invalid: Subject" in done.stderr
    assert "Body of shown" in done.stderr


def test_the_periodic_drain_outlives_a_busy_database(tmp_path):
    """`make run`'s drain (`--every`) keeps running when a round fails — here SQLite
    locked by another writer past its busy timeout — and sends once the database is
    free: under honcho, its exit would stop the whole portal."""
    path = tmp_path / "busy.sqlite3"
    app = make_app(f"sqlite:///{path}")
    reset_database(app)
    log = tmp_path / "drain.log"
    with log.open("w") as out:
        drain = subprocess.Popen([*FLASK, "outbox", "drain", "--every", "0.2"], cwd=ROOT,
                                 env=subprocess_env(f"sqlite:///{path}"), stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")  # nobody reads or writes until we are done
        deadline = time.monotonic() + 60
        while "the drain failed" not in log.read_text():
            assert drain.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        writer.execute("ROLLBACK")
        writer.close()

        with app.app_context():
            message = queue("after-the-lock", utcnow() - MINUTE)
            deadline = time.monotonic() + 30
            while status(message).status != SENT:
                assert drain.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
        assert drain.poll() is None, "still running"
    finally:
        drain.kill()  # the drain we started
        drain.wait(timeout=30)
        with app.app_context():
            db.engine.dispose()
