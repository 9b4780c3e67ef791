"""The assistant's benchmark: chat turns through the portal, as a citizen's browser sends them.

    .venv/bin/python -m bench.chat              # ~6 minutes (trains a model: ~2 minutes)
    .venv/bin/python -m bench.chat --no-train   # use bot/models/indgang.tar.gz
    .venv/bin/python -m bench.chat --profile    # also cProfile Rasa (bench/results/chat-logs)

What it does:
  1. Trains the model with bot/config.yml into a temporary folder and times it
     (unless --no-train).
  2. Starts the production stack on free ports: the portal under gunicorn (demo content,
     its own SQLite database), the action server (talking to that portal's API) and Rasa
     (REST channel, talking to that action server), and times Rasa from start to the
     first answered message.
  3. Conversations: each virtual citizen opens the home page (cookie, CSRF token), then
     sends scripted turns to `POST /chat/messages` in Danish or English. Every turn passes
     through Rasa and the action server (the metadata action runs on every message);
     the guidance turns also make the action server call the portal's `/api/v1/offers`.
     1 conversation, then 10 concurrent ones, closed loop, for a fixed time each.
  4. Reports turn latency p50/p95/p99 and turns/second, Rasa's resident memory, and the
     share of time per layer: the portal alone (a turn minus Rasa's webhook time for the
     same message), Rasa's webhook directly, and the action server's own calls.
  5. With --profile: Rasa runs under cProfile during the 10-conversation run; the top
     functions by cumulative and own time are printed.

A benchmark, not a test: it measures and reports; it never fails a build.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.run import (
    CLK_TCK,
    DEMO_CONTENT,
    HOST,
    Catalogue,
    app_env,
    free_port,
    load_catalogue,
    offer_slugs,
    percentile,
    say,
    tree_jiffies,
)

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
RASA = BOT / ".venv" / "bin" / "rasa"
RESULTS = ROOT / "bench" / "results"

TARGET_P95_ONE_MS = 150.0
TARGET_TURNS_PER_S_TEN = 40.0

# Scripted conversations, as citizens write. The municipality is chosen on the page for
# some (sent as metadata with every message) and in the chat for others.
CONVERSATIONS: list[dict] = [
    {"lang": "da", "municipality": "koebenhavn",
     "turns": ["hej", "min søn på 17 ryger hash hver dag", "tak", "farvel"]},
    {"lang": "da", "municipality": "holstebro",
     "turns": ["jeg drikker for meget", "kan man være anonym", "tak for hjælpen"]},
    {"lang": "en", "municipality": "aarhus",
     "turns": ["hi", "my brother drinks too much every day", "thanks", "bye"]},
    {"lang": "da", "municipality": None,
     "turns": ["hejsa", "jeg har mange rykkere og kan ikke betale", "haderslev", "tak"]},
    {"lang": "en", "municipality": "haderslev",
     "turns": ["what can you do", "i feel so alone", "thank you"]},
]


# --- processes ----------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path


def spawn(name: str, args: list[str], cwd: Path, env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("w") as out:
        popen = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    return Process(name, popen, log)


def stop(process: Process) -> None:
    if process.popen.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGINT)
        try:
            process.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait(timeout=10)


def tail(process: Process, lines: int = 25) -> str:
    return "\n".join(process.log.read_text(errors="replace").splitlines()[-lines:])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def wait_for(url: str, timeout: float, process: Process) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.popen.poll() is not None:
            raise SystemExit(f"{process.name} exited:\n{tail(process)}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"{process.name} not ready within {timeout:.0f} s:\n{tail(process)}")


# --- a citizen's browser ------------------------------------------------------------


class Visitor:
    """One browser: its own cookies and CSRF token, keep-alive not needed (urllib)."""

    def __init__(self, base_url: str, lang: str, municipality: str | None) -> None:
        self.base_url = base_url
        self.lang = lang
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar))
        if municipality:
            self.jar.set_cookie(_cookie("kommune", municipality))
        home = self.opener.open(f"{base_url}{'/en/' if lang == 'en' else '/'}",
                                timeout=10).read().decode()
        match = re.search(r'name="csrf-token" content="([^"]+)"', home)
        if not match:
            raise SystemExit("The home page has no <meta name=\"csrf-token\">")
        self.token = match.group(1)

    def say(self, text: str) -> tuple[float, dict]:
        body = json.dumps({"message": text, "lang": self.lang}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/chat/messages", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.token,
                     "Referer": self.base_url + "/"})
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as error:
            reply = {"status": f"http {error.code}"}
        return (time.perf_counter() - started) * 1000, reply


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, HOST, False, False, "/", True, False, None, False,
        None, None, {})


@dataclass
class Run:
    name: str
    concurrency: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def row(self) -> dict:
        lat = self.latencies
        return {
            "scenario": self.name, "conversations": self.concurrency,
            "turns": len(lat), "turns_per_s": round(self.turns_per_second, 1),
            "p50_ms": round(percentile(lat, 0.5), 1), "p95_ms": round(percentile(lat, 0.95), 1),
            "p99_ms": round(percentile(lat, 0.99), 1),
            "mean_ms": round(statistics.mean(lat), 1) if lat else None,
            "statuses": self.statuses,
        }


def converse(base_url: str, concurrency: int, duration: float, name: str) -> Run:
    """`concurrency` citizens, each going through the scripted conversations in turn."""
    run = Run(name, concurrency, duration)
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def citizen(offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            script = CONVERSATIONS[n % len(CONVERSATIONS)]
            n += 1
            visitor = Visitor(base_url, script["lang"], script["municipality"])
            for text in script["turns"]:
                if time.perf_counter() >= deadline:
                    return
                ms, reply = visitor.say(text)
                status = str(reply.get("status"))
                with lock:
                    run.statuses[status] = run.statuses.get(status, 0) + 1
                    if status == "ok":
                        run.latencies.append(ms)

    threads = [threading.Thread(target=citizen, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.elapsed = time.perf_counter() - started
    return run


def rasa_direct(rasa_url: str, rounds: int) -> list[float]:
    """Rasa's webhook alone (no portal), one conversation: the same turns."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    latencies = []
    for r in range(rounds):
        for i, script in enumerate(CONVERSATIONS):
            sender = f"bench-direct-{r}-{i}"
            for text in script["turns"]:
                body = json.dumps({"sender": sender, "message": text, "metadata": {
                    "lang": script["lang"], "municipality": script["municipality"]}}).encode()
                request = urllib.request.Request(
                    f"{rasa_url}/webhooks/rest/webhook", data=body, method="POST",
                    headers={"Content-Type": "application/json"})
                started = time.perf_counter()
                with opener.open(request, timeout=30) as response:
                    response.read()
                latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def api_direct(portal_url: str, rounds: int) -> list[float]:
    """The portal API call the action server makes for a guidance turn."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    latencies = []
    url = (f"{portal_url}/api/v1/offers?q=min+s%C3%B8n+p%C3%A5+17+ryger+hash+hver+dag"
           "&municipality=koebenhavn&lang=da&per_page=3")
    for _ in range(rounds):
        started = time.perf_counter()
        with opener.open(url, timeout=10) as response:
            response.read()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


# --- main ---------------------------------------------------------------------------


def train(workdir: Path) -> tuple[float, Path]:
    say("Training the model with bot/config.yml (the real pipeline) ...")
    out = workdir / "models"
    started = time.perf_counter()
    done = subprocess.run(
        [str(RASA), "train", "--domain", "domain", "--data", "data", "--config", "config.yml",
         "--out", str(out), "--fixed-model-name", "bench", "--force"],
        cwd=BOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"rasa train failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    say(f"  trained in {seconds:.1f} s")
    return round(seconds, 1), out / "bench.tar.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per load run")
    parser.add_argument("--warm", type=float, default=5.0)
    parser.add_argument("--no-train", action="store_true",
                        help="use bot/models/indgang.tar.gz instead of training")
    parser.add_argument("--profile", action="store_true",
                        help="run Rasa under cProfile during the 10-conversation run")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="public gunicorn workers (default as gunicorn.conf.py: 2 per core)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="as `make serve-prod` (sync) by default")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    args = parser.parse_args()
    if not RASA.exists():
        raise SystemExit("The assistant's environment is missing: run `make bot-venv`.")

    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "cores": os.cpu_count(),
                    "settings": vars(args)}
    with tempfile.TemporaryDirectory(prefix="indgang-chat-bench-") as tmp:
        workdir = Path(tmp)
        if args.no_train:
            model = BOT / "models" / "indgang.tar.gz"
            if not model.exists():
                raise SystemExit("No model: run `make bot-train` or drop --no-train.")
        else:
            report["training_s"], model = train(workdir)

        catalogue = Catalogue("demo", "sqlite", DEMO_CONTENT,
                              f"sqlite:///{workdir / 'demo.sqlite3'}", offer_slugs(DEMO_CONTENT))
        load_catalogue(catalogue)
        portal_port, rasa_port, actions_port = free_port(), free_port(), free_port()
        internal_port = free_port()
        portal_url = f"http://{HOST}:{portal_port}"
        internal_url = f"http://{HOST}:{internal_port}"
        rasa_url = f"http://{HOST}:{rasa_port}"
        limits_uri = redis_uri()
        report["rate_limit_storage"] = limits_uri
        env = {**app_env(catalogue), "RASA_URL": rasa_url,
               # Both limits are checked on every turn, as in production, but set far
               # above what a citizen may send: the benchmark's visitors share one address.
               "CHAT_RATE_LIMIT": "1000000/minute",
               "CHAT_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
               "RATELIMIT_STORAGE_URI": limits_uri,
               "RASA_TELEMETRY_ENABLED": "false"}
        processes: list[Process] = []
        try:
            portal = spawn("portal", [sys.executable, "-m", "gunicorn", "--workers",
                                      str(args.workers), "--worker-class", args.worker_class,
                                      "--threads", str(args.threads), "--bind",
                                      f"{HOST}:{portal_port}", "portal:create_app()"],
                           ROOT, env, workdir)
            processes.append(portal)
            wait_for(portal_url + "/api/v1/situations", 60, portal)
            # The action server reads the catalogue from its own portal instance (as in
            # production, see README): a citizen's chat request holds a public worker
            # while Rasa runs the action, so the action's API call must not queue
            # behind it.
            internal = spawn("portal-internal", [
                sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                f"{HOST}:{internal_port}", "portal:create_app()"], ROOT, env, workdir)
            processes.append(internal)
            wait_for(internal_url + "/api/v1/situations", 60, internal)
            actions = spawn("actions", [str(RASA), "run", "actions", "--actions", "actions",
                                        "--port", str(actions_port)],
                            BOT, {**env, "PORTAL_URL": internal_url}, workdir)
            processes.append(actions)
            wait_for(f"http://{HOST}:{actions_port}/health", 120, actions)

            rasa_cmd = [str(RASA), "run", "-i", HOST, "-p", str(rasa_port), "-m", str(model),
                        "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
            profile_path = workdir / "rasa.prof"
            if args.profile:
                rasa_python = str(BOT / ".venv" / "bin" / "python")
                rasa_cmd = [rasa_python, "-m", "cProfile", "-o", str(profile_path),
                            str(RASA), *rasa_cmd[1:]]
            started = time.perf_counter()
            rasa = spawn("rasa", rasa_cmd, BOT,
                         {**env, "ACTION_SERVER_URL": f"http://{HOST}:{actions_port}/webhook"},
                         workdir)
            processes.append(rasa)
            wait_for(rasa_url + "/", 300, rasa)
            first = Visitor(portal_url, "da", "koebenhavn")
            while True:
                _, reply = first.say("hej")
                if reply.get("status") == "ok":
                    break
                if time.perf_counter() - started > 300 or rasa.popen.poll() is not None:
                    raise SystemExit(f"Rasa never answered:\n{tail(rasa)}")
                time.sleep(0.5)
            report["rasa_ready_s"] = round(time.perf_counter() - started, 1)
            say(f"Rasa answered its first message {report['rasa_ready_s']} s after start")

            converse(portal_url, 2, args.warm, "warm-up")
            runs = [converse(portal_url, 1, args.duration, "through the portal")]
            before = {p.name: tree_jiffies(p.popen.pid) for p in processes}
            before["load generator"] = _own_jiffies()
            runs.append(converse(portal_url, 10, args.duration, "through the portal"))
            after = {p.name: tree_jiffies(p.popen.pid) for p in processes}
            after["load generator"] = _own_jiffies()
            turns = len(runs[-1].latencies) or 1
            report["cpu_ms_per_turn_ten_conversations"] = {
                name: round((after[name] - before[name]) * 1000 / CLK_TCK / turns, 1)
                for name in before
            }
            report["rasa_rss_mb"] = round(rss_mb(rasa.popen.pid), 0)
            report["actions_rss_mb"] = round(rss_mb(actions.popen.pid), 0)
            report["runs"] = [r.row() for r in runs]

            direct = rasa_direct(rasa_url, rounds=4)
            api = api_direct(internal_url, rounds=100)
            report["layers_one_conversation_ms"] = {
                "turn_through_portal_p50": runs[0].row()["p50_ms"],
                "rasa_webhook_direct_p50": round(percentile(direct, 0.5), 1),
                "rasa_webhook_direct_p95": round(percentile(direct, 0.95), 1),
                "portal_api_offers_p50": round(percentile(api, 0.5), 1),
            }
        finally:
            for process in reversed(processes):
                stop(process)
            logs = RESULTS / "chat-logs"  # kept for reading after the run
            logs.mkdir(exist_ok=True)
            for process in processes:
                shutil.copyfile(process.log, logs / process.log.name)
        if args.profile and profile_path.exists():
            report["profile"] = summarise_profile(profile_path)
            shutil.copyfile(profile_path, RESULTS / "chat-logs" / "rasa.prof")

    print_report(report)
    path = RESULTS / f"chat-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    (RESULTS / "chat-latest.json").write_text(path.read_text())
    say(f"\nJSON: {path.relative_to(ROOT)}")


def redis_uri() -> str:
    """Redis for the rate limits, as production runs several workers (see README);
    in memory, with a note, when this machine has no Redis."""
    import redis

    uri = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(uri, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        say(f"NOTE: no Redis at {uri} ({exc}): the rate limits are kept in memory")
        return "memory://"
    return uri


def _own_jiffies() -> int:
    times = os.times()
    return round((times.user + times.system) * CLK_TCK)


def summarise_profile(path: Path) -> str:
    """Top of Rasa's profile, printed by Rasa's own Python (pstats reads its format)."""
    script = ("import pstats,sys; s=pstats.Stats(sys.argv[1]); s.strip_dirs();"
              "s.sort_stats('cumulative').print_stats(45); s.sort_stats('tottime').print_stats(25)")
    done = subprocess.run([str(BOT / ".venv" / "bin" / "python"), "-c", script, str(path)],
                          capture_output=True, text=True)
    return done.stdout


def print_report(report: dict) -> None:
    say("\nRESULTS: chat turns through the portal (POST /chat/messages -> Rasa -> actions)")
    say(f"{'conversations':>13} {'turns':>6} {'turns/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7}  statuses")
    for r in report.get("runs", []):
        say(f"{r['conversations']:>13} {r['turns']:>6} {r['turns_per_s']:>8} {r['p50_ms']:>7} "
            f"{r['p95_ms']:>7} {r['p99_ms']:>7}  {r['statuses']}")
    runs = report.get("runs", [])
    if len(runs) == 2:
        one, ten = runs
        say(f"target p95 <= {TARGET_P95_ONE_MS:.0f} ms with 1 conversation: {one['p95_ms']} ms  "
            f"{'PASS' if one['p95_ms'] <= TARGET_P95_ONE_MS else 'FAIL'}")
        say(f"target >= {TARGET_TURNS_PER_S_TEN:.0f} turns/s with 10 conversations: "
            f"{ten['turns_per_s']}  "
            f"{'PASS' if ten['turns_per_s'] >= TARGET_TURNS_PER_S_TEN else 'FAIL'}")
    settings = report.get("settings", {})
    say(f"portal: gunicorn, {settings.get('workers')} {settings.get('worker_class')} workers; "
        f"chat rate limits in {report.get('rate_limit_storage')}")
    for key, label in (("training_s", "training time (s)"), ("rasa_ready_s", "start to ready (s)"),
                       ("rasa_rss_mb", "Rasa resident memory (MB)"),
                       ("actions_rss_mb", "action server resident memory (MB)")):
        if key in report:
            say(f"{label:>38}: {report[key]}")
    if "cpu_ms_per_turn_ten_conversations" in report:
        say("CPU per turn with 10 conversations (ms; the machine has 2 cores):")
        for name, value in report["cpu_ms_per_turn_ten_conversations"].items():
            say(f"  {name:>28}: {value}")
    if "layers_one_conversation_ms" in report:
        say("where a turn's time goes (one conversation, ms):")
        for key, value in report["layers_one_conversation_ms"].items():
            say(f"  {key:>28}: {value}")
    if report.get("profile"):
        say("\nRasa under cProfile, 10 conversations:\n" + report["profile"])


if __name__ == "__main__":
    main()
