"""Live sessions for `bench.booking`: chat sessions that are open now, browsers let into
them the way people are (the citizen with the booking's code, the treater signed in),
server-sent-event streams held open by the thousand, and messages timed from the moment
one side sends until the other side's stream has them.

- `make_sessions` writes booked chat sessions that are under way now straight into the
  database: bench data, like the content load. Each treater holds `per_treater` of them
  (short, consecutive times: the database refuses overlapping ones), all with one
  password.
- `Browser` is one browser: its cookies, its CSRF token, GET and POST over urllib.
- `Streams` holds server-sent-event connections in one asyncio loop on a thread (one
  socket each, HTTP/1.0 so that the events arrive unchunked), reconnecting from the last
  event id when the server ends a stream (as EventSource does), and hands every event
  to a callback with the moment it arrived.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

USER_AGENT = "indgang-bench/1"  # the same in every request: the staff sign-in is bound to it
PASSWORD = "bench-only-password-1"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class LiveSession:
    reference: str
    code: str
    room_id: int
    treater_email: str


def make_sessions(database_url: str, count: int, per_treater: int, first: int = 0
                  ) -> list[LiveSession]:
    """`count` chat sessions under way now, `per_treater` for each new bench treater."""
    from bench.harness import portal

    app = portal.create_app({"SQLALCHEMY_DATABASE_URI": portal.normalise_db_url(database_url)})
    sessions: list[LiveSession] = []
    with app.app_context():
        offer = portal.get_offer("virtuel-alkoholbehandling-holstebro")
        password_hash = portal.hash_password(PASSWORD)  # once: the same for all of them
        now = portal.utcnow().replace(second=0, microsecond=0)
        for t in range(-(-count // per_treater)):
            email = f"live{first + t}@bench.invalid"
            member = portal.create_member(email, f"Live treater {first + t}", None,
                                          ["treater"], [])
            member.password_hash = password_hash
            portal.db.session.flush()
            for k in range(min(per_treater, count - len(sessions))):
                # Under way: the first started 5 minutes ago, the others follow it (short
                # sessions: one treater's never overlap). The chat stays open for an hour
                # after the end (the booking area's grace time): long enough for the runs.
                starts = now - dt.timedelta(minutes=5) + dt.timedelta(minutes=3 * k)
                code = portal.new_code()
                booking = portal.Booking(
                    reference=portal.new_reference(), code_hash=portal.hash_code(code),
                    offer_id=offer.id, treater_id=member.id, starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=3),
                    channel="chat", status="booked", alias="bench", lang="da",
                    room_id=portal.open_room("booking").id)
                portal.db.session.add(booking)
                sessions.append(LiveSession(booking.reference, code, booking.room_id, email))
        portal.db.session.commit()
        portal.db.engine.dispose()
    return sessions


class Browser:
    """One browser: cookies, the page's CSRF token, requests to the page server and the
    live server (the session cookie is the same for both: same host)."""

    def __init__(self, pages_url: str, live_url: str) -> None:
        self.pages_url, self.live_url = pages_url, live_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                  urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]
        self.token = ""

    def page(self, path: str, form: dict | None = None) -> str:
        data = urllib.parse.urlencode({"csrf_token": self.token, **form}).encode() \
            if form is not None else None
        with self.opener.open(self.pages_url + path, data=data, timeout=60) as response:
            html = response.read().decode()
        match = _CSRF.search(html)
        if match:
            self.token = match.group(1)
        return html

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def send(self, room_id: int, body: str) -> int:
        request = urllib.request.Request(
            f"{self.live_url}/live/rooms/{room_id}/messages", method="POST",
            data=json.dumps({"body": body, "lang": "da"}).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.token})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def citizen(session: LiveSession, pages_url: str, live_url: str) -> Browser:
    """A citizen's browser on the session page, let in with the booking's code."""
    browser = Browser(pages_url, live_url)
    path = f"/samtale/{session.reference}"
    browser.page(path)
    html = browser.page(path, {"code": session.code})
    if f"/live/rooms/{session.room_id}/" not in html:
        raise SystemExit(f"the session page of {session.reference} has no live chat")
    return browser


def treater(email: str, pages_url: str, live_url: str) -> Browser:
    """A treater's browser, signed in (their sessions are opened with `open_session`)."""
    browser = Browser(pages_url, live_url)
    browser.page("/personale/log-ind")
    browser.page("/personale/log-ind", {"email": email, "password": PASSWORD})
    if not any(c.name == "session" for c in browser.jar):
        raise SystemExit(f"{email} could not sign in")
    return browser


def open_session(browser: Browser, session: LiveSession) -> None:
    html = browser.page(f"/personale/samtale/{session.reference}")
    if f"/live/rooms/{session.room_id}/" not in html:
        raise SystemExit(f"the treater's page of {session.reference} has no live chat")


# --- the streams ---------------------------------------------------------------------------

Event = Callable[[tuple, str, dict, float], None]  # (stream's tag, event, data, arrived)


class Streams:
    """Server-sent-event connections, held in one asyncio loop on a background thread."""

    def __init__(self, host: str, port: int, on_event: Event | None = None) -> None:
        self.host, self.port, self.on_event = host, port, on_event
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.connected = 0  # streams that are open now (answered 200, first line read)
        self.failures: list[str] = []
        self._tasks: list[asyncio.Task] = []

    def open(self, tag: tuple, room_id: int, cookie: str, ready: threading.Semaphore) -> None:
        """Start a stream (`tag` names it in the events); `ready` is released once it is
        open, or has failed."""
        def start() -> None:
            self._tasks.append(self.loop.create_task(self._hold(tag, room_id, cookie, ready)))
        self.loop.call_soon_threadsafe(start)

    async def _hold(self, tag: tuple, room_id: int, cookie: str,
                    ready: threading.Semaphore) -> None:
        last, first = 0, True
        try:
            while True:
                opened = await self._once(tag, room_id, cookie, last, ready if first else None)
                if opened is None:
                    return  # failed or closed: said in `failures`
                first, last = False, opened  # the server ended the stream: reconnect
        finally:
            if first:
                ready.release()

    async def _once(self, tag: tuple, room_id: int, cookie: str, after: int,
                    ready: threading.Semaphore | None) -> int | None:
        """One connection: the last event id when the server ended it, None on failure."""
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port,
                                                           limit=1 << 20)
        except OSError as error:
            self.failures.append(f"connect: {error}")
            return None
        counted = False
        try:
            writer.write((f"GET /live/rooms/{room_id}/events?lang=da&after={after} HTTP/1.0\r\n"
                          f"Host: {self.host}:{self.port}\r\nUser-Agent: {USER_AGENT}\r\n"
                          f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n").encode())
            status = (await reader.readline()).decode()
            if " 200 " not in status:
                self.failures.append(f"stream answered {status.strip()!r}")
                return None
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # the headers
            await reader.readline()  # "retry: ...": the stream is open
            self.connected += 1
            counted = True
            if ready is not None:
                ready.release()
            name, data, last = "message", "", after
            while line := await reader.readline():
                arrived = time.perf_counter()
                text = line.decode().rstrip("\r\n")
                if text.startswith("event: "):
                    name = text[7:]
                elif text.startswith("data: "):
                    data = text[6:]
                elif text.startswith("id: "):
                    last = int(text[4:])
                elif text == "" and data:
                    if self.on_event:
                        self.on_event(tag, name, json.loads(data), arrived)
                    if name in ("closed", "forbidden"):
                        self.failures.append(f"room {room_id}: {name}")
                        return None
                    name, data = "message", ""
            return last
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.failures.append(f"stream: {error!r}")
            return None
        finally:
            if counted:
                self.connected -= 1
            writer.close()

    def close(self) -> None:
        def stop() -> None:
            for task in self._tasks:
                task.cancel()
            self.loop.stop()
        self.loop.call_soon_threadsafe(stop)
        self.thread.join(timeout=30)


def wait_ready(ready: threading.Semaphore, count: int, timeout: float) -> int:
    """How many of `count` streams opened within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    done = 0
    while done < count and ready.acquire(timeout=max(0.0, deadline - time.monotonic())):
        done += 1
    return done
