"""Load with wrk: what to request, wrk's Lua script, one bounded run, and the warm-up.

API requests carry the run's token (`Authorization: Bearer …`), as the portal's API
clients do; pages do not.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.harness import cpu
from bench.harness.catalogues import Catalogue
from bench.harness.common import (
    ACCEPT_ENCODING,
    API_PREFIX,
    API_TOKEN,
    MAX_DURATION,
    QUERIES,
    fetch,
    say,
)
from bench.harness.processes import Server, ServerConfig

WRK_SCRIPT = """
-- Written by bench/harness/load.py: rotate through PATHS, report the summary as one JSON line.
local paths = {
%(paths)s
}
local counter = 0
local threads = 0
local api_headers = {}

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
  for name, value in pairs(wrk.headers) do api_headers[name] = value end
  api_headers["Authorization"] = "Bearer %(token)s"
end

function request()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  if string.sub(path, 1, %(prefix_len)d) == "%(prefix)s" then
    return wrk.format("GET", path, api_headers)
  end
  return wrk.format("GET", path)
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


def write_wrk_script(paths: list[str], workdir: Path, name: str) -> Path:
    for path in paths:
        if not re.fullmatch(r"/[\x21-\x7e]*", path) or '"' in path or "\\" in path:
            raise ValueError(f"unsafe path for the wrk script: {path!r}")
    assert re.fullmatch(r"[\w-]+", API_TOKEN)
    script = workdir / f"{name}.lua"
    script.write_text(WRK_SCRIPT % {"paths": ",\n".join(f'  "{p}"' for p in paths),
                                    "token": API_TOKEN, "prefix": API_PREFIX,
                                    "prefix_len": len(API_PREFIX)})
    return script


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
    answers: dict[str, int] | None = None  # by HTTP status, when the script counts them

    @property
    def noisy(self) -> bool:
        return cpu.noisy(self.other_cpu_cores, self.steal_cpu_cores)


def run_wrk(wrk: str, server: Server, script: Path, connections: int, duration: float) -> dict:
    """One bounded wrk run: its summary, and the cores each party used meanwhile."""
    duration = max(1, min(int(round(duration)), MAX_DURATION))
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
           "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", "-s", str(script), server.base_url]
    before = cpu.snapshot(server.process.pid, server.postgresql)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    after = cpu.snapshot(server.process.pid, server.postgresql)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    # A script may also count the answers by status (bench/booking.py: 201 and 409).
    answers = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_ANSWERS ")),
                   None)
    if answers is not None:
        data["answers"] = json.loads(answers.split(" ", 1)[1])
    data.update(cpu.cores_used(before, after, data["duration_us"] / 1e6))
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
        answers=data.get("answers"),
    )
    say(f"    {scenario:<14} {result.server:<14} c={connections:<3} {result.rps:>7.1f} rps  "
        f"p50 {result.p50_ms:>6.1f}  p95 {result.p95_ms:>6.1f}  p99 {result.p99_ms:>6.1f} ms"
        + f"  cpu: server {result.server_cpu_cores:.2f} wrk {result.client_cpu_cores:.2f}"
        + (f" db {result.db_cpu_cores:.2f}" if catalogue.backend == "postgresql" else "")
        + f" other {result.other_cpu_cores:.2f} steal {result.steal_cpu_cores:.2f}"
        + (f"  errors {errors}" if errors else "")
        + (f"  WORKERS LOST {result.worker_failures}" if result.worker_failures else ""))
    return result


def warm_up(server: Server, config: ServerConfig, search: list[str], pages: list[str],
            budget: float = 240.0) -> None:
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
            batch = [search[(i + k) % len(search)] for k in range(in_flight)]
            i += in_flight
            outcomes = list(pool.map(timed, batch))
            fast_rounds = fast_rounds + 1 if all(t < 1.0 for _, t in outcomes) else 0
        # Every search path, and a sample of the pages, must answer 200 before we count.
        sample = pages[:: max(1, len(pages) // 50)]
        bad = [(p, s) for p, (s, _) in zip(search + sample, pool.map(timed, search + sample),
                                           strict=True) if s != 200]
    if bad:
        raise SystemExit(f"{len(bad)} paths did not answer 200, e.g. {bad[:3]}")
    server.warm_seconds = time.perf_counter() - started
