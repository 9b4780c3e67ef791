"""The booking benchmark: `make bench-booking` (= python -m bench.booking, ~4 minutes).

    .venv/bin/python -m bench.booking            # PostgreSQL at BENCH_DATABASE_URL
    .venv/bin/python -m bench.booking --quick    # 5 s per load run
    .venv/bin/python -m bench.booking --help

1. **Bookings** on PostgreSQL (BENCH_DATABASE_URL, default
   postgresql://postgres@127.0.0.1:5432/indgang_bench; created when missing, and its
   `public` schema WIPED: give it a database of its own). The database is loaded as
   `make run` loads it (`flask db upgrade`, `content load`, `demo load`), plus 20 bench
   treaters with chat hours 07:00-23:00 every day, so that there are tens of thousands of
   free times. The production server (gunicorn, sync workers, two per core) takes
   `POST /api/v1/bookings` from wrk with 20 connections, closed loop:
   - *distinct times*: each request books another free time (as many citizens booking
     at once): bookings per second and p50/p95/p99; afterwards the bookings in the
     database are counted against the 201 answers;
   - *same time ×20*: 20 requests in a row ask for the same time (one 201, nineteen 409
     "just taken" with the next free times): the cost of the answer the losers get.
2. **Live sessions** (the chat of a booked session, `portal/livechat`): see
   `live_sessions` below.

A benchmark, not a test: it measures and reports; it never fails a build. Targets are
in bench/harness/targets.py; results in bench/results/booking-latest.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from bench.harness import catalogues, cpu, live, targets
from bench.harness.common import API_TOKEN, DEMO_CONTENT, HOST, MAX_DURATION, find_tool, say
from bench.harness.load import LoadResult, measure, page_paths, run_wrk, write_wrk_script
from bench.harness.processes import Process, Server, ServerConfig, free_port, rss_mb, serve, spawn
from bench.harness.report import print_table, summary, verdict, write_json

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/indgang_bench"
ALCOHOL = "virtuel-alkoholbehandling-holstebro"
BENCH_TREATERS = 20
BENCH_HOURS = (dt.time(7, 0), dt.time(23, 0))
BENCH_SESSION_MINUTES = 15
CONTENDERS = 20  # requests in a row for the same time in the "same time" run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.booking",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0,
                        help=f"seconds per measured load run (at most {MAX_DURATION})")
    parser.add_argument("--warm", type=float, default=3.0, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="gunicorn sync workers (as gunicorn.conf.py: 2 per core)")
    parser.add_argument("--quick", action="store_true",
                        help="5 s per run, 1 s warm-up, 100 messages, fewer session levels")
    parser.add_argument("--only", choices=("bookings", "live"), default=None,
                        help="run one part only")
    live_args = parser.add_argument_group("live sessions")
    live_args.add_argument("--pairs", type=int, default=25,
                           help="sessions taking turns in the delivery measurement")
    live_args.add_argument("--messages", type=int, default=300,
                           help="messages timed from one side to the other")
    live_args.add_argument("--interval", type=float, default=0.1,
                           help="seconds between those messages")
    live_args.add_argument("--session-levels", default="100,250,500,750,1000,1500,2000,3000",
                           help="open sessions at which the offer page is measured")
    live_args.add_argument("--max-sessions", type=int, default=3000)
    live_args.add_argument("--per-treater", type=int, default=5,
                           help="sessions one signed-in treater holds at once")
    live_args.add_argument("--message-every", type=float, default=60.0,
                           help="seconds between messages in each open session meanwhile")
    live_args.add_argument("--live-workers", type=int, default=2,
                           help="LIVE_WORKERS of gunicorn_live.conf.py")
    live_args.add_argument("--live-threads", type=int, default=None,
                           help="LIVE_THREADS (default: enough for the most sessions tried)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warm, args.messages = 5.0, 1.0, 100
        args.session_levels = "250,500,1000"
    args.duration = max(1.0, min(args.duration, MAX_DURATION))
    if args.live_threads is None:
        # Two streams per session; a worker may get more than its share of them, and
        # gthread makes its threads as they are needed: room for all of them in each.
        most = min(args.max_sessions, max(int(x) for x in args.session_levels.split(",")))
        args.live_threads = max(1000, 2 * (most + args.pairs) + 100)
    return args


# --- the database -----------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the benchmark's database when it does not exist (on this machine only)."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in ("localhost", HOST, "::1"):
        raise SystemExit("BENCH_DATABASE_URL must point at this machine (127.0.0.1).")
    name = parts.path.lstrip("/")
    if name in ("", "postgres", "test", "template0", "template1"):
        raise SystemExit(f"BENCH_DATABASE_URL names '{name}': give the benchmark a database "
                         "of its own (its schema is wiped), e.g. indgang_bench.")
    import psycopg

    server = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
                say(f"  created the database {name}")
    except psycopg.OperationalError as error:
        raise SystemExit(f"PostgreSQL at {parts.hostname} is needed for the booking "
                         f"benchmark: {error}") from None


def prepare(catalogue: catalogues.Catalogue) -> list[str]:
    """`flask db upgrade`, `content load` (as bench.run), `demo load`, and the bench
    treaters; returns every free time of theirs, in time order, as slot ids."""
    import subprocess

    catalogues.load(catalogue)
    done = subprocess.run([sys.executable, "-m", "flask", "demo", "load"],
                          cwd=catalogues.ROOT, env=catalogues.app_env(catalogue),
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"flask demo load failed:\n{done.stdout}\n{done.stderr}")
    from bench.harness import portal

    app = portal.create_app({"SQLALCHEMY_DATABASE_URI":
                             portal.normalise_db_url(catalogue.database_url)})
    with app.app_context():
        offer = portal.get_offer(ALCOHOL)
        today = portal.utcnow().date()
        rules = []
        for i in range(BENCH_TREATERS):
            member = portal.create_member(f"bench{i}@bench.invalid", f"Bench treater {i}",
                                          None, ["treater"], [])
            portal.db.session.flush()
            for weekday in range(7):
                rules.append(portal.ScheduleRule(
                    offer_id=offer.id, treater_id=member.id, weekday=weekday,
                    opens=BENCH_HOURS[0], closes=BENCH_HOURS[1],
                    session_minutes=BENCH_SESSION_MINUTES, channels=["chat"],
                    valid_from=today - dt.timedelta(days=1), valid_until=None))
        portal.db.session.add_all(rules)
        portal.db.session.commit()
        now = portal.utcnow()
        horizon = app.config["BOOKING_HORIZON_DAYS"]
        slots = portal.free_slots(
            [portal.Rule(r.id, r.offer_id, r.treater_id, r.weekday, r.opens, r.closes,
                         r.session_minutes, ("chat",), r.valid_from, r.valid_until)
             for r in rules],
            [], today, today + dt.timedelta(days=horizon),
            now + dt.timedelta(hours=1), now + dt.timedelta(days=horizon - 1))
        portal.db.engine.dispose()
    return [slot.id for slot in slots]


def count_bookings(catalogue: catalogues.Catalogue, alias: str) -> int:
    from sqlalchemy import create_engine, text

    from bench.harness import portal

    engine = create_engine(portal.normalise_db_url(catalogue.database_url))
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM bookings WHERE alias = :alias"),
                             {"alias": alias}).scalar_one()
    engine.dispose()
    return found


# --- booking under load -------------------------------------------------------------------

BOOKING_SCRIPT = """
-- Written by bench/booking.py: POST /api/v1/bookings, each request the next slot id.
local ids = {
%(ids)s
}
local counter = 0
local headers = {}
local threads = {}
answers = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  answers[status] = (answers[status] or 0) + 1
end

function init(args)
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer %(token)s"
end

function request()
  counter = counter + 1
  local id = ids[((counter - 1) %% #ids) + 1]
  local body = '{"slot_id": "' .. id .. '", "channel": "chat", "alias": "%(alias)s", ' ..
    '"email": "bench' .. counter .. '@example.invalid", "lang": "da"}'
  return wrk.format("POST", "/api/v1/bookings", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("answers")) do
      table.insert(counts, string.format('"%%d": %%d', status, n))
    end
  end
  io.write("BENCH_ANSWERS {" .. table.concat(counts, ", ") .. "}\\n")
  io.write(string.format(
    'BENCH_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "mean_us": %%.1f, ' ..
    '"max_us": %%d, "p50_us": %%d, "p90_us": %%d, "p95_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency.mean, latency.max, latency:percentile(50),
    latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
"""


def booking_script(ids: list[str], workdir: Path, name: str, alias: str) -> Path:
    for slot_id in ids:
        if not slot_id.replace("-", "").isdigit():
            raise ValueError(f"not a slot id: {slot_id!r}")
    script = workdir / f"{name}.lua"
    script.write_text(BOOKING_SCRIPT % {"ids": ",\n".join(f'  "{i}"' for i in ids),
                                        "token": API_TOKEN, "alias": alias})
    return script


def booking_runs(wrk: str, server: Server, catalogue: catalogues.Catalogue,
                 config: ServerConfig, ids: list[str], args: argparse.Namespace,
                 workdir: Path) -> tuple[list[LoadResult], dict]:
    """The two runs; each gets its own slice of the free times (a slot is booked once)."""
    slices = iter(_chunks(ids, len(ids) // 5))
    checks: dict = {}
    results = []
    for scenario, contenders in (("book: distinct", 1), (f"book: same ×{CONTENDERS}",
                                                         CONTENDERS)):
        alias = f"bench-{contenders}"
        warm_ids, run_ids = next(slices), next(slices)
        if args.warm > 0:
            run_wrk(wrk, server, booking_script(_repeat(warm_ids, contenders), workdir,
                                                f"warm-{contenders}", "bench-warm"),
                    args.connections, args.warm)
        script = booking_script(_repeat(run_ids, contenders), workdir, f"run-{contenders}",
                                alias)
        result = measure(wrk, server, catalogue, config, scenario, script, args.connections,
                         args.duration, 0)
        results.append(result)
        answers = result.answers or {}
        in_database = count_bookings(catalogue, alias)
        checks[scenario] = {"answers": answers, "bookings_in_database": in_database}
        # wrk counts the requests answered within the run; the few in flight when it
        # stops may still book (so the database can hold a few more than the 201s).
        say(f"      answers by status: {answers}; bookings in the database: {in_database}")
    return results, checks


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _repeat(ids: list[str], times: int) -> list[str]:
    return [slot_id for slot_id in ids for _ in range(times)]


# --- live sessions ------------------------------------------------------------------------


@contextlib.contextmanager
def live_server(env: dict[str, str], workdir: Path, workers: int, threads: int
                ) -> Iterator[tuple[Process, str]]:
    """The live paths' own server (/live/: the streams and the sends) as production runs
    it beside the pages' sync workers: `gunicorn -c gunicorn_live.conf.py` (threaded
    workers, a thread per open stream), with LIVE_WORKERS and LIVE_THREADS set so that
    every level's streams get a thread."""
    port = free_port()
    process = spawn("gunicorn-live", [
        sys.executable, "-m", "gunicorn", "-c", "gunicorn_live.conf.py", "--bind",
        f"{HOST}:{port}", "--log-level", "warning", "portal:create_app()"],
        catalogues.ROOT, {**env, "LIVE_WORKERS": str(workers), "LIVE_THREADS": str(threads)},
        workdir, f"gunicorn-live-{port}.log")
    url = f"http://{HOST}:{port}"
    try:
        process.wait_for(url + "/api/v1/situations", 120)
        yield process, url
    finally:
        process.stop()


class Conversation:
    """Open sessions with both sides connected (a citizen and a treater, each with their
    own stream), and messages timed from send to the other side's stream."""

    def __init__(self, database_url: str, pages_url: str, live_url: str) -> None:
        self.database_url, self.pages_url, self.live_url = database_url, pages_url, live_url
        port = int(urllib.parse.urlsplit(live_url).port or 80)
        self.streams = live.Streams(HOST, port, self._event)
        self.sides: list[tuple[live.LiveSession, live.Browser, live.Browser]] = []
        self.treaters = 0
        self.arrivals: dict[tuple[str, str], float] = {}
        self.sent: dict[str, tuple[float, str, int]] = {}  # body -> (at, receiving side, status)
        self.counter = 0

    def _event(self, tag: tuple, name: str, data: dict, arrived: float) -> None:
        if name == "message":
            self.arrivals.setdefault((data.get("body", ""), tag[1]), arrived)

    def grow(self, sessions: int, per_treater: int, timeout: float = 300) -> float:
        """Open sessions until there are `sessions`, both sides connected; seconds taken."""
        started = time.perf_counter()
        new = live.make_sessions(self.database_url, sessions - len(self.sides), per_treater,
                                 first=self.treaters)
        self.treaters += -(-len(new) // per_treater)
        ready = threading.Semaphore(0)
        by_treater: dict[str, live.Browser] = {}
        for session in new:
            citizen = live.citizen(session, self.pages_url, self.live_url)
            staff = by_treater.get(session.treater_email)
            if staff is None:
                staff = by_treater[session.treater_email] = live.treater(
                    session.treater_email, self.pages_url, self.live_url)
            live.open_session(staff, session)
            self.sides.append((session, citizen, staff))
        for session, citizen, staff in self.sides[-len(new):] if new else []:
            self.streams.open((session.room_id, "citizen"), session.room_id, citizen.cookie,
                              ready)
            self.streams.open((session.room_id, "staff"), session.room_id, staff.cookie, ready)
        live.wait_ready(ready, 2 * len(new), timeout)
        return time.perf_counter() - started

    def send(self, index: int | None = None) -> None:
        """One message, from one side of a session (the sides take turns)."""
        self.counter += 1
        session, citizen, staff = self.sides[(self.counter if index is None else index)
                                             % len(self.sides)]
        from_citizen = (self.counter // len(self.sides)) % 2 == 0
        body = f"bench-{self.counter}"
        at = time.perf_counter()
        status = (citizen if from_citizen else staff).send(session.room_id, body)
        self.sent[body] = (at, "staff" if from_citizen else "citizen", status)

    def delivery(self, bodies: list[str], wait: float = 3.0) -> dict:
        """Milliseconds from send to the other side's stream, for `bodies`."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(
                (b, self.sent[b][1]) not in self.arrivals for b in bodies):
            time.sleep(0.05)
        times = [(self.arrivals[(b, self.sent[b][1])] - self.sent[b][0]) * 1000
                 for b in bodies if (b, self.sent[b][1]) in self.arrivals]
        refused = sum(1 for b in bodies if self.sent[b][2] != 201)
        return {"messages": len(bodies), "delivered": len(times), "refused": refused,
                **summary(times), "max": round(max(times), 1) if times else float("nan")}

    def close(self) -> None:
        self.streams.close()


def message_delivery(conversation: Conversation, pairs: int, messages: int,
                     interval: float) -> dict:
    """`messages` messages across `pairs` sessions, one every `interval` s (each side of
    a session sends every 2 × pairs × interval s: within the per-room rate limit)."""
    conversation.grow(pairs, per_treater=1)
    if conversation.streams.connected < 2 * pairs:
        raise SystemExit(f"only {conversation.streams.connected} of {2 * pairs} streams "
                         f"opened: {conversation.streams.failures[:3]}")
    for _ in range(2 * pairs):  # warm-up: every process's hub, every stream
        conversation.send()
        time.sleep(interval)
    first = conversation.counter
    for _ in range(messages):
        conversation.send()
        time.sleep(interval)
    return conversation.delivery([f"bench-{i}" for i in range(first + 1,
                                                               conversation.counter + 1)])


class Trickle:
    """Messages in the open sessions while the pages are measured: each session hears
    from one side or the other about every `every` seconds."""

    def __init__(self, conversation: Conversation, every: float) -> None:
        self.conversation, self.every = conversation, every
        self.stop = threading.Event()
        self.first = conversation.counter
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pause = self.every / max(1, len(self.conversation.sides))
        while not self.stop.is_set():
            started = time.perf_counter()
            self.conversation.send(random.randrange(len(self.conversation.sides)))
            self.stop.wait(max(0.0, pause - (time.perf_counter() - started)))

    def __enter__(self) -> Trickle:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        self.last = self.conversation.counter


def open_sessions_capacity(wrk: str, conversation: Conversation, pages: Server,
                           live_process: Process, catalogue: catalogues.Catalogue,
                           config: ServerConfig, args: argparse.Namespace,
                           workdir: Path) -> list[dict]:
    """More and more open sessions (both sides connected, talking now and then) while
    wrk measures the offer pages; stops when their p95 misses the target or streams
    can no longer be opened. First with the delivery measurement's sessions only."""
    script = write_wrk_script(page_paths(catalogue), workdir, "offer-pages")
    wanted = sorted({int(x) for x in args.session_levels.split(",")})
    levels = []
    for level in [len(conversation.sides)] + [n for n in wanted
                                              if len(conversation.sides) < n <= args.max_sessions]:
        if level > len(conversation.sides):
            seconds = conversation.grow(level, args.per_treater)
            say(f"  {level} open sessions ({2 * level} streams): set up in {seconds:.0f} s")
        streams = conversation.streams.connected
        if streams < 2 * level:
            say(f"  only {streams} of {2 * level} streams open: "
                f"{conversation.streams.failures[-3:]}")
            levels.append({"sessions": level, "streams": streams, "failed": True})
            break
        idle = live_cores(live_process, 5.0)  # the sessions open, nobody writing
        started, live_before = time.perf_counter(), cpu.tree_jiffies(live_process.pid)
        with Trickle(conversation, args.message_every) as trickle:
            result = measure(wrk, pages, catalogue, config, f"page, {level} sess.", script,
                             args.connections, args.duration, args.warm)
            if result.noisy and not targets.OFFER_PAGE_P95_WITH_SESSIONS.met(result.p95_ms):
                say("      (others were busy on the machine: once more)")
                result = measure(wrk, pages, catalogue, config, f"page, {level} sess.",
                                 script, args.connections, args.duration, args.warm)
        busy = ((cpu.tree_jiffies(live_process.pid) - live_before) / cpu.CLK_TCK
                / (time.perf_counter() - started))
        delivered = conversation.delivery(
            [f"bench-{i}" for i in range(trickle.first + 1, trickle.last + 1)])
        row = {"sessions": level, "streams": conversation.streams.connected,
               "offer_page": asdict(result), "delivery_ms": delivered,
               "messages_per_s": round(delivered["messages"]
                                       / (time.perf_counter() - started), 1),
               "live_server_idle_cores": idle, "live_server_cores": round(busy, 2),
               "live_server_rss_mb": round(rss_mb(live_process.pid), 0), "failed": False}
        levels.append(row)
        say(f"      meanwhile {row['messages_per_s']} messages/s (delivered "
            f"{delivered['delivered']} of {delivered['messages']}), delivery p95 "
            f"{delivered['p95']} ms; live server {row['live_server_cores']} cores "
            f"({idle} with nobody writing and no page load), {row['live_server_rss_mb']:.0f} MB")
        if not targets.OFFER_PAGE_P95_WITH_SESSIONS.met(result.p95_ms):
            break
    return levels


def live_cores(process: Process, seconds: float) -> float:
    before = cpu.tree_jiffies(process.pid)
    time.sleep(seconds)
    return round((cpu.tree_jiffies(process.pid) - before) / cpu.CLK_TCK / seconds, 2)


def held_sessions(levels: list[dict]) -> int:
    """The most open sessions at which every stream was open and the offer page's p95
    met its target."""
    good = [lv["sessions"] for lv in levels if not lv["failed"]
            and targets.OFFER_PAGE_P95_WITH_SESSIONS.met(lv["offer_page"]["p95_ms"])]
    return max(good, default=0)


# --- the report ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    say("Indgang booking benchmark")
    say(f"  machine: {cores} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.2f} at start")
    wrk = find_tool("wrk", "wrk", "the load runs")
    if wrk is None:
        return 2
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    ensure_database(url)
    config = ServerConfig(args.workers, "sync")
    payload: dict = {"when": dt.datetime.now().isoformat(timespec="seconds"),
                     "machine": {"cores": cores, "python": platform.python_version()},
                     "settings": vars(args)}

    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="indgang-bench-booking-") as tmp:
        workdir = Path(tmp)
        catalogue = catalogues.Catalogue("demo", "postgresql", DEMO_CONTENT, url,
                                         catalogues.offer_slugs(DEMO_CONTENT))
        ids = prepare(catalogue)
        env = {**catalogues.app_env(catalogue),
               # The benchmark's browsers all come from 127.0.0.1: the per-address limits
               # of sign-in and codes are lifted (the per-booking and per-room ones hold).
               "STAFF_LOGIN_RATE_LIMIT": "1000000/minute",
               "BOOKING_CODE_RATE_LIMIT_PER_ADDRESS": "1000000/minute"}
        if args.only in (None, "bookings"):
            say(f"\nBookings: PostgreSQL ({urllib.parse.urlsplit(url).path.lstrip('/')}), "
                f"gunicorn {config.label}, wrk {args.connections} connections, "
                f"{args.duration:.0f} s per run after {args.warm:.0f} s warm-up")
            say(f"  {len(ids)} free chat times of {BENCH_TREATERS} bench treaters")
            with serve("booking", config, env, workdir, postgresql=True) as server:
                booked, checks = booking_runs(wrk, server, catalogue, config, ids, args,
                                              workdir)
            results += booked
            payload["bookings"] = [asdict(r) for r in booked]
            payload["booking_checks"] = checks
        if args.only in (None, "live"):
            say(f"\nLive sessions: pages on gunicorn {config.label}, /live/ on gunicorn "
                f"{args.live_workers} gthread×{args.live_threads}, PostgreSQL")
            with serve("pages", config, env, workdir, postgresql=True) as pages, \
                    live_server(env, workdir, args.live_workers, args.live_threads) as (
                        live_process, live_url):
                conversation = Conversation(url, pages.base_url, live_url)
                try:
                    say(f"  message delivery: {args.messages} messages, {args.pairs} "
                        f"sessions taking turns, one every {args.interval} s")
                    payload["delivery"] = message_delivery(conversation, args.pairs,
                                                           args.messages, args.interval)
                    say(f"    {payload['delivery']}")
                    say(f"  open sessions ({args.per_treater} per signed-in treater, a "
                        f"message in each about every {args.message_every:.0f} s) while "
                        f"wrk asks for offer pages:")
                    payload["open_sessions"] = open_sessions_capacity(
                        wrk, conversation, pages, live_process, catalogue, config, args,
                        workdir)
                    results += [LoadResult(**lv["offer_page"])
                                for lv in payload["open_sessions"] if not lv["failed"]]
                finally:
                    conversation.close()

    say("\n" + "=" * 100)
    say("RESULTS  (latency in ms; closed loop; wrk and the browsers on the same cores)")
    say("=" * 100)
    print_table(results)
    if "bookings" in payload:
        distinct = payload["bookings"][0]
        say(verdict(targets.BOOKINGS_PER_SECOND, distinct["rps"]))
        say(verdict(targets.BOOKING_P95, distinct["p95_ms"]))
    if "delivery" in payload:
        delivery = payload["delivery"]
        say(f"Session message delivery ({delivery['delivered']} of {delivery['messages']} "
            f"delivered, {delivery['refused']} refused): p50 {delivery['p50']} ms, p95 "
            f"{delivery['p95']} ms, p99 {delivery['p99']} ms, max {delivery['max']} ms")
        say(verdict(targets.LIVE_DELIVERY_P95, delivery["p95"]))
    if "open_sessions" in payload:
        held = held_sessions(payload["open_sessions"])
        payload["open_sessions_held"] = held
        say("Open sessions (both sides connected):")
        for lv in payload["open_sessions"]:
            if lv["failed"]:
                say(f"  {lv['sessions']:>5}: only {lv['streams']} streams opened")
                continue
            page = lv["offer_page"]
            say(f"  {lv['sessions']:>5}: offer page p95 {page['p95_ms']:>6.1f} ms "
                f"({page['rps']:.0f} pages/s); delivery p95 {lv['delivery_ms']['p95']} ms; "
                f"live server {lv['live_server_rss_mb']:.0f} MB, "
                f"{lv['live_server_cores']} cores ({lv['live_server_idle_cores']} idle)")
        tried = max((lv["sessions"] for lv in payload["open_sessions"]), default=0)
        say(f"Held: {held} open sessions with the offer page's p95 "
            f"{targets.OFFER_PAGE_P95_WITH_SESSIONS.text}"
            + (" (the most tried: raise --max-sessions)" if held and held == tried else ""))
        say(verdict(targets.OPEN_SESSIONS, held))
    payload["elapsed_s"] = round(time.perf_counter() - started, 1)
    out = write_json(payload, "booking", "booking-latest.json")
    say(f"\nJSON: {out}; took {payload['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
