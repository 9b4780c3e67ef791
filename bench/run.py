"""Indgang's benchmark: the production server under load, and what a phone downloads.

    python -m bench.run            # or: make bench   (about 10 minutes)
    python -m bench.run --quick    # 5 s per scenario, no worker sweep (about 3 minutes)

What it does (see bench/README.md):
  1. Two catalogues, each loaded into its own SQLite database in a temporary folder with
     `flask db upgrade` + `flask content load`: the demo content (content/) and a
     generated one of 2,000 offers (bench/generate.py). With BENCH_DATABASE_URL set,
     both are also run on that PostgreSQL database (its `public` schema is WIPED).
  2. gunicorn, bound to 127.0.0.1 on a free port, warmed up (each worker builds its
     search index on its first search).
  3. wrk, 20 keep-alive connections for a fixed time per scenario: the search API with
     the queries of tests/search_eval/queries.yml, and offer pages for rotating slugs.
     wrk runs on the same 2 cores as the server, so the numbers are a lower bound.
  4. Page weight in Debian's Chromium (Playwright): a phone's first visit to the home
     page, then the search results page with a warm cache.
  5. A table and a JSON copy in bench/results/.
  6. When search p95 misses its target: a cProfile of `find_offers` on 2,000 offers.

Only 127.0.0.1 is ever targeted, and every load run is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bench.generate import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
QUERIES = ROOT / "tests" / "search_eval" / "queries.yml"
DEMO_CONTENT = ROOT / "content"
HOST = "127.0.0.1"  # the only address this benchmark ever sends traffic to
ACCEPT_ENCODING = "gzip, br"
MAX_DURATION = 120  # seconds per scenario, whatever is asked
GENERATED_OFFERS = 2000

TARGET_SEARCH_P95_MS = 50.0
TARGET_FIRST_VISIT_KB = 150.0
TARGET_SECOND_PAGE_KB = 15.0
PAGE_WEIGHT_QUERY = "drikker for meget"
NOISY_OTHER_CPU = 0.2  # cores used by other processes above which a run is marked noisy


# --- small helpers ------------------------------------------------------------------


def say(message: str = "") -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 60.0):
    """GET `url` (always on 127.0.0.1); returns (status, headers, raw body)."""
    assert urllib.parse.urlsplit(url).hostname == HOST, url
    request = urllib.request.Request(url, headers={"Accept-Encoding": ACCEPT_ENCODING,
                                                   **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def busy_jiffies() -> tuple[int, int]:
    """CPU time the machine has spent busy so far (all processes), and the time the
    hypervisor gave our virtual CPUs to someone else (steal), in jiffies."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]] + [0] * 8
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return user + nice + system + irq + softirq, steal


def database_jiffies() -> int:
    """CPU time used so far by local PostgreSQL processes (the database server)."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    head, rest = f.read().rsplit(")", 1)
            except OSError:
                continue
            if head.split("(", 1)[1] == "postgres":
                fields = rest.split()
                total += int(fields[11]) + int(fields[12])
    return total


def tree_jiffies(root_pid: int) -> int:
    """CPU time (user + system) used by a process and its live children, in jiffies."""
    total, parents = 0, {root_pid}
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    for pid, (ppid, _) in stats.items():
        if ppid == root_pid:
            parents.add(pid)
    for pid in parents:
        total += stats.get(pid, (0, 0))[1]
    return total


CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- tools --------------------------------------------------------------------------


def ensure_debian_package(command: str, package: str) -> str | None:
    """The path of `command`, installing Debian's `package` first when we are root."""
    path = shutil.which(command)
    if path:
        return path
    if os.geteuid() != 0:
        say(f"  {command} is missing and we are not root: run "
            f"'sudo apt-get install -y {package}' and run the benchmark again.")
        return None
    say(f"  installing {package} from Debian (apt-get) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which(command)


# --- catalogues ---------------------------------------------------------------------


@dataclass
class Catalogue:
    name: str  # "demo" or "2000"
    backend: str  # "sqlite" or "postgresql"
    content_dir: Path
    database_url: str
    slugs: list[str]
    load_seconds: float = 0.0
    loaded: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({len(self.slugs)}) {self.backend}"


def app_env(catalogue: Catalogue) -> dict[str, str]:
    env = {**os.environ, "FLASK_APP": "portal", "DATABASE_URL": catalogue.database_url,
           "INDGANG_CONTENT_DIR": str(catalogue.content_dir),
           "SECRET_KEY": "bench-only-secret", "PYTHONUNBUFFERED": "1",
           "PYTHONFAULTHANDLER": "1"}  # a crashing worker leaves its tracebacks in the log
    env.pop("FLASK_DEBUG", None)
    return env


def offer_slugs(content_dir: Path) -> list[str]:
    return sorted(p.stem for p in (content_dir / "offers").glob("*.yml"))


def load_catalogue(catalogue: Catalogue) -> None:
    """`flask db upgrade` + `flask content load` into the catalogue's own database."""
    if catalogue.loaded:
        return
    if catalogue.backend == "postgresql":
        wipe_postgresql(catalogue.database_url)
    env = app_env(catalogue)
    started = time.perf_counter()
    for args in (["db", "upgrade"], ["content", "load"]):
        done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise SystemExit(f"flask {' '.join(args)} failed for {catalogue.label}:\n"
                             f"{done.stdout}\n{done.stderr}")
    catalogue.load_seconds = time.perf_counter() - started
    catalogue.loaded = True
    say(f"  loaded {catalogue.label} in {catalogue.load_seconds:.1f} s")


def wipe_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    from portal.config import _normalise_db_url

    engine = create_engine(_normalise_db_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


# --- the server ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    workers: int
    worker_class: str  # sync | gthread
    threads: int = 1

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"{self.workers} gthread×{self.threads}"
        return f"{self.workers} sync"


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    log_path: Path
    started_seconds: float
    warm_seconds: float = 0.0
    postgresql: bool = False

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_failures(self) -> int:
        """Workers the master had to replace: timeouts and crashes (SIGSEGV, ...)."""
        try:
            log = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return log.count("WORKER TIMEOUT") + len(re.findall(r"was sent SIG\w+", log))


@contextlib.contextmanager
def serve(catalogue: Catalogue, config: ServerConfig, workdir: Path) -> Iterator[Server]:
    """gunicorn as in production (`make serve-prod`), on 127.0.0.1 and a free port."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(config.workers),
           "--worker-class", config.worker_class, "--bind", f"{HOST}:{port}",
           "--log-level", "warning"]
    if config.worker_class == "gthread":
        cmd += ["--threads", str(config.threads)]
    cmd.append("portal:create_app()")
    log_path = workdir / f"gunicorn-{catalogue.name}-{catalogue.backend}-{port}.log"
    started = time.perf_counter()
    with log_path.open("w") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=app_env(catalogue), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://{HOST}:{port}", process, log_path, 0.0,
                    postgresql=catalogue.backend == "postgresql")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({process.returncode}):\n{server.log_tail()}")
            try:
                status, _, _ = fetch(server.base_url + "/api/v1/situations", timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s:\n{server.log_tail()}")
            time.sleep(0.2)
        server.started_seconds = time.perf_counter() - started
        yield server
    finally:
        stop(process)
        if server.worker_failures():
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            kept = RESULTS_DIR / log_path.name
            shutil.copyfile(log_path, kept)
            say(f"  !! {server.worker_failures()} worker(s) timed out or crashed; log kept in "
                f"{kept.relative_to(ROOT)}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the gunicorn master (graceful), SIGKILL to its group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def warm_up(server: Server, config: ServerConfig, search_paths: list[str],
            page_paths: list[str], budget: float = 240.0) -> None:
    """Make every worker build its search index, and check that every path answers 200.

    A worker builds the index on its first search (seconds at 2,000 offers). Keeping
    more requests in flight than there are workers sends some to each; when a few
    rounds in a row are fast, every worker has its index.
    """
    started = time.perf_counter()
    in_flight = config.workers * 2
    deadline = time.monotonic() + budget
    fast_rounds = 0
    i = 0

    def timed(path: str) -> tuple[int, float]:
        t0 = time.perf_counter()
        status, _, _ = fetch(server.base_url + path, timeout=budget)
        return status, time.perf_counter() - t0

    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        while fast_rounds < 3 and time.monotonic() < deadline:
            batch = [search_paths[(i + k) % len(search_paths)] for k in range(in_flight)]
            i += in_flight
            outcomes = list(pool.map(timed, batch))
            fast_rounds = fast_rounds + 1 if all(t < 1.0 for _, t in outcomes) else 0
        # Every search path, and a sample of the pages, must answer 200 before we count.
        sample = page_paths[:: max(1, len(page_paths) // 50)]
        bad = [(p, s) for p, (s, _) in zip(search_paths + sample,
                                           pool.map(timed, search_paths + sample),
                                           strict=True) if s != 200]
    if bad:
        raise SystemExit(f"{len(bad)} paths did not answer 200, e.g. {bad[:3]}")
    server.warm_seconds = time.perf_counter() - started


# --- load ---------------------------------------------------------------------------

WRK_SCRIPT = """
-- Written by bench/run.py: rotate through PATHS, report the summary as one JSON line.
local paths = {
%(paths)s
}
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "mean_us": %%.1f, ' ..
    '"max_us": %%d, "p50_us": %%d, "p90_us": %%d, "p95_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency.mean, latency.max, latency:percentile(50),
    latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class LoadResult:
    scenario: str
    catalogue: str
    backend: str
    offers: int
    server: str
    workers: int
    worker_class: str
    threads: int
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: dict[str, int]
    client_cpu_cores: float  # CPU wrk itself used, in cores (it shares the machine)
    server_cpu_cores: float  # CPU gunicorn (master + workers) used, in cores
    other_cpu_cores: float  # CPU every other process on the machine used, in cores
    steal_cpu_cores: float  # CPU the hypervisor gave to other machines (a virtual machine)
    db_cpu_cores: float  # CPU the local PostgreSQL server used (0 for SQLite: in-process)
    kb_per_response: float
    worker_failures: int = 0  # workers that timed out or crashed during the run


def write_wrk_script(paths: list[str], workdir: Path, name: str) -> Path:
    for path in paths:
        if not re.fullmatch(r"/[\x21-\x7e]*", path) or '"' in path or "\\" in path:
            raise ValueError(f"unsafe path for the wrk script: {path!r}")
    script = workdir / f"{name}.lua"
    script.write_text(WRK_SCRIPT % {"paths": ",\n".join(f'  "{p}"' for p in paths)})
    return script


def run_wrk(wrk: str, server: Server, script: Path, connections: int, duration: float) -> dict:
    duration = max(1, min(int(round(duration)), MAX_DURATION))
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
           "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", "-s", str(script), server.base_url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_before, server_before = busy_jiffies(), tree_jiffies(server.process.pid)
    db_before = database_jiffies() if server.postgresql else 0
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    machine_after, server_after = busy_jiffies(), tree_jiffies(server.process.pid)
    db_after = database_jiffies() if server.postgresql else 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    seconds = data["duration_us"] / 1e6
    client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    server_cpu = (server_after - server_before) / CLK_TCK
    machine = (machine_after[0] - machine_before[0]) / CLK_TCK
    data["steal_cpu_cores"] = (machine_after[1] - machine_before[1]) / CLK_TCK / seconds
    data["db_cpu_cores"] = (db_after - db_before) / CLK_TCK / seconds
    data["client_cpu_cores"] = client / seconds
    data["server_cpu_cores"] = max(0.0, server_cpu) / seconds  # < 0 when a worker died
    # Whatever else ran on the machine meanwhile (other jobs skew the numbers).
    database = (db_after - db_before) / CLK_TCK
    data["other_cpu_cores"] = max(0.0, machine - server_cpu - client - database) / seconds
    return data


def measure(wrk: str, server: Server, catalogue: Catalogue, config: ServerConfig,
            scenario: str, script: Path, connections: int, duration: float,
            warm: float) -> LoadResult:
    if warm > 0:
        run_wrk(wrk, server, script, connections, warm)
    failures_before = server.worker_failures()
    data = run_wrk(wrk, server, script, connections, duration)
    seconds = data["duration_us"] / 1e6
    requests = data["requests"]
    errors = {k: data[k] for k in ("connect", "read", "write", "status", "timeout") if data[k]}
    result = LoadResult(
        scenario=scenario, catalogue=catalogue.name, backend=catalogue.backend,
        offers=len(catalogue.slugs), server=config.label, workers=config.workers,
        worker_class=config.worker_class, threads=config.threads, connections=connections,
        duration_s=round(seconds, 1), requests=requests,
        rps=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=round(data["p50_us"] / 1000, 1), p95_ms=round(data["p95_us"] / 1000, 1),
        p99_ms=round(data["p99_us"] / 1000, 1), mean_ms=round(data["mean_us"] / 1000, 1),
        max_ms=round(data["max_us"] / 1000, 1), errors=errors,
        client_cpu_cores=round(data["client_cpu_cores"], 2),
        server_cpu_cores=round(data["server_cpu_cores"], 2),
        other_cpu_cores=round(data["other_cpu_cores"], 2),
        steal_cpu_cores=round(data["steal_cpu_cores"], 2),
        db_cpu_cores=round(data["db_cpu_cores"], 2),
        kb_per_response=round(data["bytes"] / max(requests, 1) / 1024, 2),
        worker_failures=server.worker_failures() - failures_before,
    )
    say(f"    {scenario:<14} {result.server:<14} c={connections:<3} {result.rps:>7.1f} rps  "
        f"p50 {result.p50_ms:>6.1f}  p95 {result.p95_ms:>6.1f}  p99 {result.p99_ms:>6.1f} ms"
        + f"  cpu: server {result.server_cpu_cores:.2f} wrk {result.client_cpu_cores:.2f}"
        + (f" db {result.db_cpu_cores:.2f}" if catalogue.backend == "postgresql" else "")
        + f" other {result.other_cpu_cores:.2f} steal {result.steal_cpu_cores:.2f}"
        + (f"  errors {errors}" if errors else "")
        + (f"  WORKERS LOST {result.worker_failures}" if result.worker_failures else ""))
    return result


def search_paths() -> list[str]:
    """The evaluation set's queries as API requests (with their municipality)."""
    paths = []
    for item in yaml.safe_load(QUERIES.read_text(encoding="utf-8")):
        params = {"q": item["q"], "lang": item.get("lang", "da")}
        if item.get("municipality"):
            params["municipality"] = item["municipality"]
        paths.append("/api/v1/offers?" + urllib.parse.urlencode(params))
    return paths


def page_paths(catalogue: Catalogue) -> list[str]:
    return [f"/tilbud/{slug}" for slug in catalogue.slugs]


# --- page weight --------------------------------------------------------------------


@dataclass
class Resource:
    url: str
    kind: str
    status: int = 0
    transfer: int = 0  # bytes on the wire: headers + encoded body
    decoded: int = 0  # bytes after decompression
    from_cache: bool = False
    content_encoding: str = ""
    cache_control: str = ""
    etag: str = ""
    failed: str = ""


@dataclass
class PageVisit:
    url: str
    resources: list[Resource] = field(default_factory=list)

    @property
    def transfer(self) -> int:
        return sum(r.transfer for r in self.resources if not r.from_cache)

    def by_kind(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for r in self.resources:
            if not r.from_cache:
                kinds[r.kind] = kinds.get(r.kind, 0) + r.transfer
        return kinds


class NetworkLog:
    """Chromium's own network events (CDP): what really went over the wire."""

    def __init__(self) -> None:
        self.entries: dict[str, Resource] = {}

    def attach(self, cdp) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.requestServedFromCache", self._cached)

    def take(self, url: str) -> PageVisit:
        visit = PageVisit(url, [r for r in self.entries.values()
                                if not r.url.startswith("data:")])
        self.entries = {}
        return visit

    def _get(self, event) -> Resource:
        return self.entries.setdefault(event["requestId"], Resource("", "Other"))

    def _sent(self, event) -> None:
        entry = self._get(event)
        entry.url = event["request"]["url"]
        entry.kind = event.get("type", "Other")

    def _response(self, event) -> None:
        entry, response = self._get(event), event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        entry.status = response.get("status", 0)
        entry.content_encoding = headers.get("content-encoding", "")
        entry.cache_control = headers.get("cache-control", "")
        entry.etag = headers.get("etag", "")
        if response.get("fromDiskCache") or response.get("fromMemoryCache"):
            entry.from_cache = True

    def _data(self, event) -> None:
        self._get(event).decoded += event.get("dataLength", 0)

    def _finished(self, event) -> None:
        self._get(event).transfer = int(event.get("encodedDataLength", 0))

    def _failed(self, event) -> None:
        self._get(event).failed = event.get("errorText", "failed")

    def _cached(self, event) -> None:
        self._get(event).from_cache = True


def page_weight_browser(base_url: str, chromium: str, query: str) -> tuple[PageVisit, PageVisit]:
    """A phone (Pixel 7 profile) opens the home page, then searches from its form."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium,
                                     args=["--no-sandbox", "--disable-background-networking"])
        try:
            context = browser.new_context(**pw.devices["Pixel 7"], locale="da-DK",
                                          extra_http_headers={"Accept-Encoding": ACCEPT_ENCODING})
            page = context.new_page()
            log = NetworkLog()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            log.attach(cdp)
            page.goto(base_url + "/", wait_until="networkidle")
            first = log.take(page.url)
            box = page.locator("form[role=search]").first
            box.locator("input[name=q]").fill(query)
            with page.expect_navigation(wait_until="networkidle"):
                box.locator("button[type=submit]").click()
            second = log.take(page.url)
        finally:
            browser.close()
    return first, second


def page_weight_static(base_url: str, query: str) -> tuple[PageVisit, PageVisit]:
    """Without a browser: the HTML, what it links, and the url()s of the CSS (every
    font of every family the CSS uses, so an upper bound)."""
    first = PageVisit(base_url + "/")
    home = _static_get(base_url + "/", "Document")
    first.resources.append(home)
    html = _static_body(base_url + "/")
    links = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    images = re.findall(r'<img[^>]+src="([^"]+)"', html)
    for href in links:
        css_url = urllib.parse.urljoin(base_url + "/", href)
        first.resources.append(_static_get(css_url, "Stylesheet"))
        css = _static_body(css_url)
        used = set(re.findall(r"font-family:\s*\"?([^;,}\"]+)", _without_font_faces(css)))
        for face in re.findall(r"@font-face\s*{([^}]*)}", css):
            family = re.search(r"font-family:\s*\"?([^;\"]+)", face)
            woff2 = re.search(r"url\(([^)]+\.woff2[^)]*)\)", face)
            if family and woff2 and family.group(1).strip() in used:
                font_url = urllib.parse.urljoin(css_url, woff2.group(1).strip("'\""))
                first.resources.append(_static_get(font_url, "Font"))
    first.resources += [_static_get(urllib.parse.urljoin(base_url + "/", s), "Script")
                        for s in scripts]
    first.resources += [_static_get(urllib.parse.urljoin(base_url + "/", s), "Image")
                        for s in images if not s.startswith("data:")]
    search_url = base_url + "/soeg?" + urllib.parse.urlencode({"q": query})
    second = PageVisit(search_url, [_static_get(search_url, "Document")])
    return first, second


def _without_font_faces(css: str) -> str:
    return re.sub(r"@font-face\s*{[^}]*}", "", css)


def _static_body(url: str) -> str:
    status, _, raw = fetch(url, headers={"Accept-Encoding": "identity"})
    return raw.decode("utf-8", errors="replace")


def _static_get(url: str, kind: str) -> Resource:
    status, headers, raw = fetch(url)
    header_bytes = len(str(headers)) + 20
    return Resource(url, kind, status, len(raw) + header_bytes, len(raw), False,
                    headers.get("Content-Encoding", ""), headers.get("Cache-Control", ""),
                    headers.get("ETag", ""))


@dataclass
class CacheCheck:
    url: str
    cache_control: str
    etag: str
    content_encoding: str
    long_lived: bool
    revalidates: bool  # a conditional GET answers 304
    ok: bool


def check_cache_headers(visit: PageVisit) -> list[CacheCheck]:
    """Every static file of the first visit: long max-age, an ETag that gives a 304,
    and compression for text."""
    checks = []
    for r in visit.resources:
        if r.kind == "Document" or r.status != 200 or not r.url.startswith(f"http://{HOST}"):
            continue
        status, headers, raw = fetch(r.url)
        cache_control = headers.get("Cache-Control", "")
        etag = headers.get("ETag", "")
        encoding = headers.get("Content-Encoding", "")
        age = re.search(r"max-age=(\d+)", cache_control)
        long_lived = bool(age and int(age.group(1)) >= 86400) and "no-cache" not in cache_control
        revalidates = False
        if etag:
            status304, _, _ = fetch(r.url, headers={"If-None-Match": etag})
            revalidates = status304 == 304
        text_like = re.search(r"\.(css|js|svg)(\?|$)", r.url) is not None
        # Text must come compressed, unless it is too small to gain (Flask-Compress: 500 B).
        compressed = encoding in ("br", "gzip") or not text_like or len(raw) < 1024
        checks.append(CacheCheck(r.url.split("://", 1)[1].split("/", 1)[1], cache_control, etag,
                                 encoding, long_lived, revalidates,
                                 long_lived and revalidates and compressed))
    return checks


def page_weights(base_url: str, chromium: str | None, catalogue: Catalogue) -> dict:
    method = "chromium"
    try:
        if chromium is None:
            raise RuntimeError("no chromium")
        first, second = page_weight_browser(base_url, chromium, PAGE_WEIGHT_QUERY)
    except Exception as exc:  # any failure: fall back to the static estimate, and say so
        say(f"  (browser measurement unavailable: {exc}; using a static estimate)")
        method = "static estimate (HTML + linked files + all fonts of used families)"
        first, second = page_weight_static(base_url, PAGE_WEIGHT_QUERY)
    checks = check_cache_headers(first)
    refetched = [r.url for r in second.resources
                 if r.kind != "Document" and not r.from_cache and r.transfer > 0]
    return {
        "catalogue": catalogue.name,
        "method": method,
        "accept_encoding": ACCEPT_ENCODING,
        "first_visit": {"url": first.url, "bytes": first.transfer, "by_kind": first.by_kind(),
                        "resources": [asdict(r) for r in first.resources],
                        "target_kb": TARGET_FIRST_VISIT_KB,
                        "pass": first.transfer / 1024 < TARGET_FIRST_VISIT_KB},
        "second_page": {"url": second.url, "bytes": second.transfer,
                        "by_kind": second.by_kind(), "refetched_static": refetched,
                        "resources": [asdict(r) for r in second.resources],
                        "target_kb": TARGET_SECOND_PAGE_KB,
                        "pass": second.transfer / 1024 < TARGET_SECOND_PAGE_KB},
        "cache_checks": [asdict(c) for c in checks],
        "cache_ok": all(c.ok for c in checks) and not refetched,
    }


# --- profile ------------------------------------------------------------------------


def profile_search(catalogue: Catalogue, rounds: int, with_cprofile: bool) -> dict:
    """In-process timing of `find_offers` for every evaluation query, and where it goes:
    filtering, ranking (result pages come from the in-memory index), garbage collection.
    """
    os.environ.update({k: v for k, v in app_env(catalogue).items()
                       if k in ("DATABASE_URL", "INDGANG_CONTENT_DIR", "SECRET_KEY")})

    from portal import create_app
    from portal.catalogue import service

    app = create_app()
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    report: dict = {"catalogue": catalogue.name, "backend": catalogue.backend}
    timings: dict[str, list[float]] = {k: [] for k in (
        "api_request_in_process", "find_offers", "filter_candidates", "rank_warm_cache",
        "rank_cold_cache")}

    def clock(name: str, func):
        t0 = time.perf_counter()
        value = func()
        timings[name].append((time.perf_counter() - t0) * 1000)
        return value

    gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started: list[float] = [0.0]

    def gc_watch(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses[info["generation"]].append((time.perf_counter() - gc_started[0]) * 1000)

    with app.test_request_context():
        service.reset_index_cache()
        t0 = time.perf_counter()
        index = service.current_index()
        report["index_build_s"] = round(time.perf_counter() - t0, 2)
        report["vocabulary"] = len(index.vocabulary)
        report["documents"] = len(index.documents)
        parsed = []
        for item in queries:
            args = {"q": item["q"], "per_page": "20"}
            if item.get("municipality"):
                args["municipality"] = item["municipality"]
            parsed.append(service.parse_offer_query(args, item.get("lang", "da")))
        for q in parsed:  # warm the expansion cache, as a running worker has it
            service.find_offers(q)
        client = app.test_client()
        paths = search_paths()
        gc.callbacks.append(gc_watch)
        try:
            for _ in range(rounds):
                for q, path in zip(parsed, paths, strict=True):
                    clock("find_offers", lambda q=q: service.find_offers(q))
                    candidates = clock("filter_candidates", lambda q=q: {
                        d.offer_id for d in (index.documents_for.get(q.municipality, [])
                                             if q.municipality else index.documents)
                        if service._passes(d, q)})
                    clock("rank_warm_cache", lambda q=q, c=candidates: index.rank(q.q, c))
                    clock("api_request_in_process", lambda p=path: client.get(
                        p, headers={"Accept-Encoding": ACCEPT_ENCODING}))
        finally:
            gc.callbacks.remove(gc_watch)
        # Ranking with a cold expansion cache (a fresh worker, or rare words).
        index.expand.cache_clear()
        for q in parsed:
            clock("rank_cold_cache", lambda q=q: index.rank(q.q))
        report["timings_ms"] = {
            name: {"p50": round(percentile(v, 0.5), 2), "p95": round(percentile(v, 0.95), 2),
                   "p99": round(percentile(v, 0.99), 2), "mean": round(statistics.mean(v), 2)}
            for name, v in timings.items() if v
        }
        iterations = len(timings["find_offers"])  # each: find_offers, its parts, API call
        report["gc"] = {
            f"gen{gen}": {"collections": len(p),
                          "per_1000_iterations": round(1000 * len(p) / iterations, 1),
                          "max_ms": round(max(p, default=0.0), 1),
                          "mean_ms": round(statistics.mean(p), 2) if p else 0.0}
            for gen, p in gc_pauses.items()
        }
        report["gc"]["tracked_objects"] = len(gc.get_objects())
        if with_cprofile:
            for name, func in (("find_offers", lambda: [service.find_offers(q) for q in parsed]),
                               ("api_request", lambda: [client.get(p) for p in paths])):
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(rounds):
                    func()
                profiler.disable()
                for order, count in (("tottime", 18), ("cumulative", 28)):
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(count)
                    report[f"profile_{name}_{order}"] = _trim_pstats(out.getvalue())
    return report


def _trim_pstats(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    root = str(ROOT) + "/"
    site = re.compile(r"\S*/site-packages/")
    return "\n".join(site.sub("", ln.replace(root, "")) for ln in lines[start:] if ln.strip())


# --- report -------------------------------------------------------------------------


def print_table(results: list[LoadResult]) -> None:
    header = (f"{'scenario':<14} {'catalogue':<16} {'server':<14} {'conns':>5} {'rps':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}  "
              f"{'cpu: server':>11} {'db':>5} {'wrk':>5} {'other':>5} {'steal':>5}")
    say(header)
    say("-" * len(header))
    for r in results:
        catalogue = f"{r.catalogue} ({r.offers}) {r.backend[:2]}"
        errors = sum(r.errors.values())
        say(f"{r.scenario:<14} {catalogue:<16} {r.server:<14} {r.connections:>5} {r.rps:>8.1f} "
            f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {errors:>6}  "
            f"{r.server_cpu_cores:>11.2f} {r.db_cpu_cores:>5.2f} {r.client_cpu_cores:>5.2f} "
            f"{r.other_cpu_cores:>5.2f} {r.steal_cpu_cores:>5.2f}"
            + ("  !" if _noisy(r) else "")
            + (f"  {r.worker_failures} WORKER(S) LOST" if r.worker_failures else ""))
    if any(_noisy(r) for r in results):
        say(f"  ! other processes (or the hypervisor: steal) took more than {NOISY_OTHER_CPU} "
            "cores during this run: noisy, run again on a quiet machine")
    if any(r.worker_failures for r in results):
        say("  WORKER(S) LOST: gunicorn replaced a worker that timed out or crashed during the "
            "run (its log is kept in bench/results/); its requests failed or waited")


def _noisy(r: LoadResult) -> bool:
    return r.other_cpu_cores + r.steal_cpu_cores > NOISY_OTHER_CPU


def print_page_weight(weight: dict) -> None:
    first, second = weight["first_visit"], weight["second_page"]
    say(f"Page weight, {weight['catalogue']} catalogue ({weight['method']}; "
        f"Accept-Encoding: {weight['accept_encoding']}):")
    say(f"  first visit, home page   {kb(first['bytes']):>10}  target < "
        f"{first['target_kb']:.0f} KB  {'PASS' if first['pass'] else 'FAIL'}")
    for kind, size in sorted(first["by_kind"].items(), key=lambda kv: -kv[1]):
        say(f"      {kind:<12} {kb(size):>10}")
    for r in sorted(first["resources"], key=lambda r: -r["transfer"]):
        if r["from_cache"]:
            continue
        path = r["url"].split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        say(f"        {kb(r['transfer']):>9} (decoded {kb(r['decoded']):>9}) "
            f"{r['status']} {r['content_encoding'] or '-':<4} /{path}")
    say(f"  second page, search      {kb(second['bytes']):>10}  target < "
        f"{second['target_kb']:.0f} KB  {'PASS' if second['pass'] else 'FAIL'}  "
        f"({second['url'].split('://', 1)[-1].split('/', 1)[-1]})")
    for r in second["resources"]:
        path = r["url"].split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        how = "from cache" if r["from_cache"] else f"{kb(r['transfer'])} {r['status']}"
        say(f"        /{path:<48} {how}")
    say(f"  static files refetched on the second page: {len(second['refetched_static'])}")
    bad = [c for c in weight["cache_checks"] if not c["ok"]]
    say(f"  cache headers: {len(weight['cache_checks']) - len(bad)}/"
        f"{len(weight['cache_checks'])} static files long-lived, 304 on If-None-Match, "
        f"compressed when text")
    for c in weight["cache_checks"]:
        mark = "ok " if c["ok"] else "BAD"
        say(f"      {mark} /{c['url'].split('?')[0]:<50} {c['cache_control'] or '-'}; "
            f"ETag {'yes' if c['etag'] else 'no'}; 304 {'yes' if c['revalidates'] else 'no'}; "
            f"{c['content_encoding'] or 'identity'}")


def print_profile(report: dict) -> None:
    say(f"In-process search timing, {report['catalogue']} catalogue ({report['documents']} "
        f"offers; index build {report['index_build_s']} s, vocabulary {report['vocabulary']} "
        "terms):")
    for name, t in report["timings_ms"].items():
        say(f"  {name:<24} p50 {t['p50']:>7.2f}  p95 {t['p95']:>7.2f}  p99 {t['p99']:>7.2f}  "
            f"mean {t['mean']:>7.2f} ms")
    gcr = report["gc"]
    say(f"  garbage collection ({gcr['tracked_objects']} tracked objects): " + "; ".join(
        f"{gen} {g['collections']}x, max {g['max_ms']} ms" for gen, g in gcr.items()
        if isinstance(g, dict)))
    for key in ("profile_find_offers_tottime", "profile_find_offers_cumulative",
                "profile_api_request_cumulative"):
        if key in report:
            say(f"\n  cProfile, {key.removeprefix('profile_').replace('_', ' ')}:")
            for line in report[key].splitlines():
                say("    " + line[:150])


# --- main ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0,
                        help=f"seconds per measured scenario (at most {MAX_DURATION})")
    parser.add_argument("--warm", type=float, default=3.0, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="workers of the main runs (as gunicorn.conf.py: 2 per core)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--sweep", default="sync:2,sync:3,sync:4,gthread:2,gthread:3,gthread:4",
                        help="worker configurations tried on the 2,000-offer catalogue "
                             "(class:workers,...); empty for none")
    parser.add_argument("--offers", type=int, default=GENERATED_OFFERS)
    parser.add_argument("--quick", action="store_true",
                        help="5 s per scenario, 1 s warm-up, no sweep")
    parser.add_argument("--no-page-weight", action="store_true")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile search: when the p95 target is missed (auto)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warm, args.sweep = 5.0, 1.0, ""
    args.duration = max(1.0, min(args.duration, MAX_DURATION))
    args.warm = max(0.0, min(args.warm, MAX_DURATION))
    return args


def parse_sweep(text: str, threads: int) -> list[ServerConfig]:
    configs = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        cls, _, n = item.partition(":")
        if cls not in ("sync", "gthread") or not n.isdigit():
            raise SystemExit(f"--sweep: '{item}' is not class:workers (sync:2, gthread:3)")
        configs.append(ServerConfig(int(n), cls, threads if cls == "gthread" else 1))
    return configs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    say("Indgang benchmark")
    say(f"  machine: {cores} cores, Python {platform.python_version()}, {platform.system()}, "
        f"load average {os.getloadavg()[0]:.2f} at start")
    say(f"  load: wrk, {args.connections} keep-alive connections, {args.duration:.0f} s per "
        f"scenario after {args.warm:.0f} s warm-up, Accept-Encoding: {ACCEPT_ENCODING}")
    for line in (
        f"NOTE: wrk runs on the same {cores} cores as the server, so the numbers are a lower "
        "bound of what",
        "the server alone can do. The 'cpu' columns say how many cores the server, wrk and "
        "every other",
        "process used during each run ('db': PostgreSQL, when used), and 'steal' what the",
        "hypervisor gave to other machines (other and steal skew the numbers).",
        f"Latency is closed-loop: with {args.connections} clients a request also waits for "
        "those ahead of it",
        f"(p50 ~ {args.connections} / rps); the 1-client rows show the service time without "
        "queueing.",
    ):
        say(("  " if line.startswith("NOTE") else "        ") + line)
    wrk = ensure_debian_package("wrk", "wrk")
    if wrk is None:
        say("  wrk is needed for the load runs; stopping.")
        return 2
    chromium = None if args.no_page_weight else ensure_debian_package("chromium", "chromium")

    main_config = ServerConfig(args.workers, args.worker_class,
                               args.threads if args.worker_class == "gthread" else 1)
    sweep = [c for c in parse_sweep(args.sweep, args.threads) if c != main_config]
    results: list[LoadResult] = []
    weights: list[dict] = []
    profiles: list[dict] = []
    all_search = search_paths()

    with tempfile.TemporaryDirectory(prefix="indgang-bench-") as tmp:
        workdir = Path(tmp)
        say("\nCatalogues")
        t0 = time.perf_counter()
        generated_dir = workdir / f"catalogue-{args.offers}"
        generate(generated_dir, args.offers)
        say(f"  generated {args.offers} offers in {time.perf_counter() - t0:.1f} s")
        catalogues = [
            Catalogue("demo", "sqlite", DEMO_CONTENT, f"sqlite:///{workdir / 'demo.sqlite3'}",
                      offer_slugs(DEMO_CONTENT)),
            Catalogue(str(args.offers), "sqlite", generated_dir,
                      f"sqlite:///{workdir / 'generated.sqlite3'}", offer_slugs(generated_dir)),
        ]
        pg_url = os.environ.get("BENCH_DATABASE_URL")
        if pg_url:
            host = urllib.parse.urlsplit(pg_url).hostname
            if host not in (None, "", "localhost", HOST, "::1"):
                raise SystemExit("BENCH_DATABASE_URL must point at this machine (127.0.0.1).")
            catalogues += [
                Catalogue("demo", "postgresql", DEMO_CONTENT, pg_url, offer_slugs(DEMO_CONTENT)),
                Catalogue(str(args.offers), "postgresql", generated_dir, pg_url,
                          offer_slugs(generated_dir)),
            ]
        for catalogue in catalogues:
            if catalogue.backend == "sqlite":
                load_catalogue(catalogue)

        search_script = write_wrk_script(all_search, workdir, "search")
        for catalogue in catalogues:
            load_catalogue(catalogue)  # PostgreSQL catalogues share one database: load now
            page_script = write_wrk_script(page_paths(catalogue), workdir,
                                           f"pages-{catalogue.name}")
            configs = [main_config] + (sweep if catalogue.name != "demo"
                                       and catalogue.backend == "sqlite" else [])
            for config in configs:
                say(f"\n{catalogue.label}, gunicorn {config.label}")
                with serve(catalogue, config, workdir) as server:
                    warm_up(server, config, all_search, page_paths(catalogue))
                    say(f"  ready in {server.started_seconds:.1f} s, warm in "
                        f"{server.warm_seconds:.1f} s (every worker built its search index)")
                    for scenario, script in (("search API", search_script),
                                             ("offer page", page_script)):
                        results.append(measure(wrk, server, catalogue, config, scenario, script,
                                               args.connections, args.duration, args.warm))
                    if config == main_config:
                        results.append(measure(wrk, server, catalogue, config, "search API",
                                               search_script, 1, min(args.duration, 10), 0))
                        if not args.no_page_weight and catalogue.backend == "sqlite":
                            say("  page weight ...")
                            weights.append(page_weights(server.base_url, chromium, catalogue))

        search_big = [r for r in results if r.scenario == "search API"
                      and r.catalogue == str(args.offers) and r.connections == args.connections]
        missed = any(r.p95_ms >= TARGET_SEARCH_P95_MS for r in search_big)
        if args.profile == "always" or (args.profile == "auto" and missed):
            say("\nProfiling search in-process (target missed)" if missed else
                "\nProfiling search in-process")
            generated = next(c for c in catalogues if c.name == str(args.offers))
            profiles.append(profile_search(generated, rounds=3, with_cprofile=True))
        elif args.profile == "auto":
            generated = next(c for c in catalogues if c.name == str(args.offers))
            profiles.append(profile_search(generated, rounds=2, with_cprofile=False))

    # --- the report ---
    say("\n" + "=" * 100)
    say("RESULTS  (latency in ms; closed loop; load generator on the same cores)")
    say("=" * 100)
    print_table(results)
    best = best_config(results, str(args.offers), args.connections)
    if best:
        say(f"\nBest server configuration for search at {args.offers} offers (lowest p95, then "
            f"highest rps): {best.server} — {best.rps:.0f} rps, p95 {best.p95_ms:.1f} ms")
    for r in search_big:
        verdict = "PASS" if r.p95_ms < TARGET_SEARCH_P95_MS else "FAIL"
        say(f"Target search p95 < {TARGET_SEARCH_P95_MS:.0f} ms at {r.offers} offers, "
            f"{r.connections} clients, {r.server} ({r.backend}): {r.p95_ms:.1f} ms  {verdict}")
    for r in results:
        if r.connections == 1 and r.catalogue == str(args.offers):
            say(f"  (one client alone, {r.backend}: p50 {r.p50_ms:.1f} ms, p95 {r.p95_ms:.1f} ms "
                f"= the service time without queueing)")
    for weight in weights:
        say("")
        print_page_weight(weight)
    for report in profiles:
        say("")
        print_profile(report)

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    payload = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cores": cores, "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {k: v for k, v in vars(args).items()},
        "note": "wrk shares the machine's cores with the server; closed-loop latency",
        "targets": {"search_p95_ms": TARGET_SEARCH_P95_MS,
                    "first_visit_kb": TARGET_FIRST_VISIT_KB,
                    "second_page_kb": TARGET_SECOND_PAGE_KB},
        "load": [asdict(r) for r in results],
        "best_search_config": asdict(best) if best else None,
        "page_weight": weights,
        "profile": profiles,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    out = RESULTS_DIR / f"bench-{stamp}.json"
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    shutil.copyfile(out, RESULTS_DIR / "latest.json")
    say(f"\nJSON: {out.relative_to(ROOT)}  (and bench/results/latest.json); "
        f"took {payload['elapsed_s']:.0f} s")
    return 0


def best_config(results: list[LoadResult], catalogue: str, connections: int) -> LoadResult | None:
    candidates = [r for r in results if r.scenario == "search API" and r.catalogue == catalogue
                  and r.backend == "sqlite" and r.connections == connections and not r.errors]
    return min(candidates, key=lambda r: (r.p95_ms, -r.rps), default=None)


if __name__ == "__main__":
    sys.exit(main())
