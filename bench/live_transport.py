"""Which transport for the live session chat? The offer page under load (wrk, 20
connections) while chat sessions are open, with the pages on gunicorn's sync workers
as in production (2 per core), for the transports the issue names:

1. server-sent events (or long polling, or WebSocket: any connection held open) served
   by the pages' sync workers: each open session page holds a worker;
2. short polling: every open session page asks for new messages every `--poll-every`
   seconds (the stream endpoint answering at once: LIVECHAT_STREAM_SECONDS=0), on the
   pages' sync workers;
3. server-sent events on a server of their own (gunicorn with threaded workers,
   `gunicorn_live.conf.py`), the pages' sync workers untouched: what the portal does.

    .venv/bin/python -m bench.live_transport [--sessions 100] [--duration 10]

Each session has two pages open (citizen and treater). The demo catalogue on SQLite in
a temporary folder; a benchmark, not a test: it reports, it never fails a build. The
whole of the chosen design (delivery p95, how many sessions the machine holds) is
measured by `make bench-booking` on PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.harness import catalogues, live, load
from bench.harness.common import HOST, find_tool, say
from bench.harness.processes import Server, ServerConfig, free_port, gunicorn, rss_mb, spawn


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.live_transport")
    parser.add_argument("--sessions", type=int, default=100,
                        help="open chat sessions (two pages each)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--poll-every", type=float, default=0.5,
                        help="short polling: seconds between a page's polls (0.5 s polls "
                             "deliver within a second, counting the request itself)")
    return parser.parse_args(argv)


class Pollers:
    """Short polling: one thread per open page, a keep-alive connection each."""

    def __init__(self, port: int, pages: list[tuple[int, str]], every: float) -> None:
        self.port, self.pages, self.every = port, pages, every
        self.stop = threading.Event()
        self.polls = 0
        self.failures = 0
        self.threads = [threading.Thread(target=self._run, args=page, daemon=True)
                        for page in self.pages]

    def __enter__(self) -> Pollers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _run(self, room_id: int, cookie: str) -> None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        while not self.stop.wait(self.every):
            try:
                connection.request("GET", f"/live/rooms/{room_id}/events?lang=da&after=0",
                                   headers={"Cookie": cookie, "User-Agent": live.USER_AGENT})
                response = connection.getresponse()
                response.read()
                self.polls += 1
                if response.status != 200:
                    self.failures += 1
            except (OSError, http.client.HTTPException):
                self.failures += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, self.port, timeout=30)


def page_answers_within(url: str, seconds: float) -> float | None:
    """Seconds one offer page took, or None when it did not come within `seconds`."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=seconds)
    started = time.perf_counter()
    try:
        connection.request("GET", parts.path)
        connection.getresponse().read()
        return time.perf_counter() - started
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    wrk = find_tool("wrk", "wrk", "the page load")
    if wrk is None:
        return 1
    cores = multiprocessing.cpu_count()
    pages_config = ServerConfig(2 * cores, "sync")
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="indgang-live-") as tmp:
        workdir = Path(tmp)
        catalogue = catalogues.demo(workdir)
        catalogues.load(catalogue)
        env = {**catalogues.app_env(catalogue),
               "BOOKING_CODE_RATE_LIMIT_PER_ADDRESS": "1000000/minute"}
        sessions = live.make_sessions(catalogue.database_url, args.sessions, per_treater=5)
        script = load.write_wrk_script(load.page_paths(catalogue), workdir, "pages")
        say(f"{args.sessions} open chat sessions ({2 * args.sessions} pages), {cores} cores; "
            f"pages on gunicorn {pages_config.label}; wrk: offer pages, 20 connections, "
            f"{args.duration:.0f} s")

        def page_load(server: Server, scenario: str) -> load.LoadResult:
            return load.measure(wrk, server, catalogue, pages_config, scenario, script, 20,
                                args.duration, warm=2)

        def cookies(base_url: str) -> list[tuple[int, str]]:
            found = []
            for session in sessions:
                browser = live.citizen(session, base_url, base_url)
                found += [(session.room_id, browser.cookie)] * 2  # citizen and treater
            return found

        # The pages' server with short streams: a "stream" answers at once (a poll).
        polling_env = {**env, "LIVECHAT_STREAM_SECONDS": "0"}
        process, url = gunicorn("pages-polling", pages_config, polling_env, workdir, "warning")
        try:
            process.wait_for(url + "/api/v1/situations", 120)
            server = Server(url, process)
            baseline = page_load(server, "no sessions")
            rows.append(("no open sessions", f"p95 {baseline.p95_ms} ms, {baseline.rps} rps"))
            pages = cookies(url)
            port = int(urllib.parse.urlsplit(url).port)
            with Pollers(port, pages, args.poll_every) as pollers:
                time.sleep(2)
                before = pollers.polls
                polled = page_load(server, f"polling {args.poll_every}s")
                rate = (pollers.polls - before) / max(polled.duration_s, 1)
            rows.append((f"2. short polling every {args.poll_every} s",
                         f"p95 {polled.p95_ms} ms, {polled.rps} rps, {rate:.0f} polls/s, "
                         f"{pollers.failures} failed polls, pages' server "
                         f"{polled.server_cpu_cores} cores"))
        finally:
            process.stop()

        # Streams held by the pages' sync workers: as many as there are workers.
        process, url = gunicorn("pages-streams", pages_config, env, workdir, "warning")
        try:
            process.wait_for(url + "/api/v1/situations", 120)
            held = cookies(url)[: pages_config.workers]
            streams = live.Streams(HOST, int(urllib.parse.urlsplit(url).port))
            ready = threading.Semaphore(0)
            for i, (room_id, cookie) in enumerate(held):
                streams.open(("held", i), room_id, cookie, ready)
            opened = live.wait_ready(ready, len(held), 30)
            took = page_answers_within(url + "/tilbud/" + catalogue.slugs[0], 10.0)
            rows.append((f"1. {opened} streams on the {pages_config.workers} sync workers",
                         "an offer page did not come within 10 s" if took is None
                         else f"an offer page took {took * 1000:.0f} ms"))
            streams.close()
        finally:
            process.stop()

        # What the portal does: the pages' server as in production, /live/ on its own.
        process, url = gunicorn("pages", pages_config, env, workdir, "warning")
        live_port = free_port()
        live_process = spawn("gunicorn-live", [
            sys.executable, "-m", "gunicorn", "-c", "gunicorn_live.conf.py", "--bind",
            f"{HOST}:{live_port}", "--log-level", "warning", "portal:create_app()"],
            catalogues.ROOT, env, workdir, f"gunicorn-live-{live_port}.log")
        try:
            process.wait_for(url + "/api/v1/situations", 120)
            live_process.wait_for(f"http://{HOST}:{live_port}/api/v1/situations", 120)
            server = Server(url, process)
            pages = cookies(url)  # let in on the pages' server, as the session page does
            streams = live.Streams(HOST, live_port)
            ready = threading.Semaphore(0)
            for i, (room_id, cookie) in enumerate(pages):
                streams.open(("page", i), room_id, cookie, ready)
            opened = live.wait_ready(ready, len(pages), 60)
            split = page_load(server, "sse own server")
            rows.append((f"3. {opened} streams on their own server (gunicorn_live.conf.py)",
                         f"p95 {split.p95_ms} ms, {split.rps} rps; live server "
                         f"{rss_mb(live_process.pid):.0f} MB, {len(streams.failures)} "
                         f"stream failures"))
            streams.close()
        finally:
            live_process.stop()
            process.stop()

    say("\nThe offer page while sessions are open:")
    for name, result in rows:
        say(f"  {name:<58} {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
