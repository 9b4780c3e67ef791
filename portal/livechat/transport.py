"""How a new message reaches the other side: server-sent events, woken by a hub.

Each open session page holds one server-sent-events stream (`views.events`). A stream
does not query the database in a loop: it sleeps on the process's `Hub` until its
room has a message newer than the last one it sent, or has been closed. The hub is one
background thread per process that asks the database, every `LIVECHAT_POLL_SECONDS`
(0.2 s), for the newest message id and the state of every room a stream of this
process is watching — one indexed query for all of them, whatever their number — and
wakes the streams of the rooms that changed. A message posted in the same process
wakes them at once (`notify`).

So a stream costs a sleeping thread, not a CPU: in production the streams are served
by their own gunicorn with threaded workers (`gunicorn_live.conf.py`), never by the
sync workers that serve the pages (see README, "Live sessions"). A message reaches the
other side within the poll interval plus a few milliseconds, across processes and
servers, with nothing but the database in common (SQLite or PostgreSQL alike).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from flask import Flask, current_app

from portal.core.extensions import db
from portal.livechat import service

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
_lock = threading.Lock()


class Hub:
    """Wakes the streams of a room when it has a new message (one per process)."""

    def __init__(self, app: Flask, interval: float = POLL_SECONDS) -> None:
        self._app = app
        self._interval = interval
        # One lock; the poller waits on `_cond` (for a room to watch), each room's streams
        # on that room's own condition: a change wakes only the streams it concerns, and
        # a stream going back to sleep (after every message and keep-alive) wakes only
        # the poller. (With one condition for all, every such moment woke every stream
        # of the process: at 1,000 open streams that alone took most of a core.)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._rooms: dict[int, threading.Condition] = {}
        self._watchers: Counter[int] = Counter()
        self._latest: dict[int, int] = {}
        self._closed: set[int] = set()
        self._thread: threading.Thread | None = None

    def _room(self, room_id: int) -> threading.Condition:
        """The room's condition (on the hub's one lock; the caller holds it)."""
        found = self._rooms.get(room_id)
        if found is None:
            found = self._rooms[room_id] = threading.Condition(self._lock)
        return found

    def wait(self, room_id: int, after_id: int, timeout: float) -> bool:
        """Sleep until the room has a message after `after_id` or is closed (True), or
        `timeout` seconds have passed (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._watchers[room_id] += 1
            self._start()
            self._cond.notify()  # an idle poller starts polling this room
            room = self._room(room_id)
            try:
                while self._latest.get(room_id, 0) <= after_id and room_id not in self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    room.wait(left)
                return True
            finally:
                self._watchers[room_id] -= 1
                if self._watchers[room_id] <= 0:
                    del self._watchers[room_id]
                    del self._rooms[room_id]
                    self._latest.pop(room_id, None)
                    self._closed.discard(room_id)

    def notify(self, room_id: int, message_id: int) -> None:
        """A message was posted in this process: wake its room's streams now."""
        with self._cond:
            if room_id in self._watchers and message_id > self._latest.get(room_id, 0):
                self._latest[room_id] = message_id
                self._room(room_id).notify_all()

    @property
    def watching(self) -> int:
        with self._cond:
            return sum(self._watchers.values())

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="livechat-hub", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._app.app_context():
            while True:
                with self._cond:
                    while not self._watchers:
                        self._cond.wait()
                    rooms = set(self._watchers)
                try:
                    states = service.room_states(rooms)
                except Exception:  # the database is away: the streams wait, then retry
                    log.exception("live chat: could not look for new messages")
                    states = {}
                finally:
                    db.session.remove()  # end the read: the next poll sees new rows
                with self._cond:
                    for room_id, (last, closed) in states.items():
                        if room_id not in self._watchers:
                            continue
                        changed = False
                        if last > self._latest.get(room_id, 0):
                            self._latest[room_id] = last
                            changed = True
                        if closed and room_id not in self._closed:
                            self._closed.add(room_id)
                            changed = True
                        if changed:
                            self._room(room_id).notify_all()
                time.sleep(self._interval)


def hub() -> Hub:
    """This process's hub (made on first use: after gunicorn has forked the worker)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("livechat_hub")
    if found is None:
        with _lock:
            found = app.extensions.get("livechat_hub")
            if found is None:
                found = Hub(app, app.config["LIVECHAT_POLL_SECONDS"])
                app.extensions["livechat_hub"] = found
    return found
