"""The assistant's benchmark: chat turns through the portal, as a citizen's browser sends them.

    .venv/bin/python -m bench.chat              # ~6 minutes (trains a model: ~2 minutes)
    .venv/bin/python -m bench.chat --no-train   # use bot/models/indgang.tar.gz
    .venv/bin/python -m bench.chat --quick      # 10 s per load run (with --no-train: ~3 minutes)
    .venv/bin/python -m bench.chat --profile    # also cProfile Rasa (bench/results/chat-logs)

What it does:
  1. Trains the model with bot/config.yml into a temporary folder and times it
     (unless --no-train).
  2. The chat without the assistant: the time to the portal's "unavailable" answer when
     nothing listens at Rasa's address, and when Rasa answers later than CHAT_TIMEOUT (a
     stub that sleeps), over --unavailable-requests messages each.
  3. Starts the production stack on free ports: the portal under gunicorn (demo content,
     its own SQLite database), the action server (talking to that portal's API) and Rasa
     (REST channel, talking to that action server), and times Rasa from start to the
     first answered message.
  4. Conversations: each virtual citizen opens the home page (cookie, CSRF token), then
     sends scripted turns to `POST /chat/messages` in Danish or English. Every turn passes
     through Rasa and the action server (the metadata action runs on every message);
     the guidance turns also make the action server call the portal's `/api/v1/offers`.
     1 conversation, then 10 concurrent ones, closed loop, for a fixed time each.
  5. Reports turn latency p50/p95/p99 and turns/second, Rasa's resident memory, and the
     share of time per layer: the portal alone (a turn minus Rasa's webhook time for the
     same message), Rasa's webhook directly, and the action server's own calls.
  6. With --profile: Rasa runs under cProfile during the 10-conversation run; the top
     functions by cumulative and own time are printed.

A benchmark, not a test: it measures and reports; it never fails a build.
The targets are in bench/harness/targets.py; the parts in bench/harness/.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import catalogues, cpu, targets
from bench.harness.common import HOST, RESULTS_DIR, ROOT, api_headers, say
from bench.harness.processes import Process, ServerConfig, free_port, gunicorn, rss_mb, spawn
from bench.harness.report import percentile, summary, verdict, write_json
from bench.harness.stub import SlowRasa, closed_url

BOT = ROOT / "bot"
RASA = BOT / ".venv" / "bin" / "rasa"

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
    request = urllib.request.Request(url, headers=api_headers("/api/v1/offers"))
    for _ in range(rounds):
        started = time.perf_counter()
        with opener.open(request, timeout=10) as response:
            response.read()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


# --- the chat without the assistant --------------------------------------------------


def unavailable_times(env: dict[str, str], config: ServerConfig, workdir: Path,
                      requests: int, timeout: float) -> dict:
    """Milliseconds to the chat's "unavailable" answer through `POST /chat/messages`:
    nothing listening at Rasa's address, and a Rasa that answers 2 s after CHAT_TIMEOUT."""
    report: dict = {"chat_timeout_s": timeout, "requests": requests}
    with SlowRasa(delay=timeout + 2) as slow:
        for case, rasa_url in (("rasa_down", closed_url()), ("rasa_slow", slow.url)):
            process, url = gunicorn(f"portal-{case}", config,
                                    {**env, "RASA_URL": rasa_url, "CHAT_TIMEOUT": str(timeout)},
                                    workdir)
            try:
                process.wait_for(url + "/api/v1/situations", 60)
                visitor = Visitor(url, "da", None)
                for _ in range(config.workers):  # every worker has answered once
                    visitor.say("hej")
                times, statuses = [], {}
                for _ in range(requests):
                    ms, reply = visitor.say("hej")
                    status = str(reply.get("status"))
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == "unavailable":
                        times.append(ms)
            finally:
                process.stop()
            report[case] = {**{f"{k}_ms": v for k, v in summary(times).items()},
                            "statuses": statuses}
            say(f"  chat 'unavailable', {case.replace('_', ' ')}: p50 "
                f"{report[case]['p50_ms']} ms, p95 {report[case]['p95_ms']} ms {statuses}")
    return report


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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chat",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per load run")
    parser.add_argument("--warm", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="10 s per load run, 2 s warm-up")
    parser.add_argument("--no-train", action="store_true",
                        help="use bot/models/indgang.tar.gz instead of training")
    parser.add_argument("--profile", action="store_true",
                        help="run Rasa under cProfile during the 10-conversation run")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="public gunicorn workers (default as gunicorn.conf.py: 2 per core)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="as `make serve-prod` (sync) by default")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--chat-timeout", type=float, default=1.0,
                        help="CHAT_TIMEOUT (s) of the portals for the 'unavailable' figures")
    parser.add_argument("--unavailable-requests", type=int, default=20,
                        help="messages per 'unavailable' case")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warm = 10.0, 2.0
    return args


def main() -> None:
    args = parse_args()
    if not RASA.exists():
        raise SystemExit("The assistant's environment is missing: run `make bot-venv`.")

    report: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "cores": os.cpu_count(),
                    "settings": vars(args)}
    config = ServerConfig(args.workers, args.worker_class, args.threads)
    with tempfile.TemporaryDirectory(prefix="indgang-chat-bench-") as tmp:
        workdir = Path(tmp)
        if args.no_train:
            model = BOT / "models" / "indgang.tar.gz"
            if not model.exists():
                raise SystemExit("No model: run `make bot-train` or drop --no-train.")
        else:
            report["training_s"], model = train(workdir)

        catalogue = catalogues.demo(workdir)
        catalogues.load(catalogue)
        rasa_port, actions_port = free_port(), free_port()
        rasa_url = f"http://{HOST}:{rasa_port}"
        limits_uri = redis_uri()
        report["rate_limit_storage"] = limits_uri
        env = {**catalogues.app_env(catalogue), "RASA_URL": rasa_url,
               # Both limits are checked on every turn, as in production, but set far
               # above what a citizen may send: the benchmark's visitors share one address.
               "CHAT_RATE_LIMIT": "1000000/minute",
               "CHAT_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
               "RATELIMIT_STORAGE_URI": limits_uri,
               "RASA_TELEMETRY_ENABLED": "false"}
        say("The chat without the assistant (time to the 'unavailable' answer):")
        report["unavailable"] = unavailable_times(env, config, workdir,
                                                  args.unavailable_requests, args.chat_timeout)
        processes: list[Process] = []
        try:
            portal, portal_url = gunicorn("portal", config, env, workdir)
            processes.append(portal)
            portal.wait_for(portal_url + "/api/v1/situations", 60)
            # The action server reads the catalogue from its own portal instance (as in
            # production, see README): a citizen's chat request holds a public worker
            # while Rasa runs the action, so the action's API call must not queue
            # behind it.
            internal, internal_url = gunicorn("portal-internal", ServerConfig(1, "sync"), env,
                                              workdir)
            processes.append(internal)
            internal.wait_for(internal_url + "/api/v1/situations", 60)
            actions = spawn("actions", [str(RASA), "run", "actions", "--actions", "actions",
                                        "--port", str(actions_port)],
                            BOT, {**env, "PORTAL_URL": internal_url}, workdir)
            processes.append(actions)
            actions.wait_for(f"http://{HOST}:{actions_port}/health", 120)

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
            rasa.wait_for(rasa_url + "/", 300)
            first = Visitor(portal_url, "da", "koebenhavn")
            while True:
                _, reply = first.say("hej")
                if reply.get("status") == "ok":
                    break
                if time.perf_counter() - started > 300 or rasa.popen.poll() is not None:
                    raise SystemExit(f"Rasa never answered:\n{rasa.tail()}")
                time.sleep(0.5)
            report["rasa_ready_s"] = round(time.perf_counter() - started, 1)
            say(f"Rasa answered its first message {report['rasa_ready_s']} s after start")

            converse(portal_url, 2, args.warm, "warm-up")
            runs = [converse(portal_url, 1, args.duration, "through the portal")]
            pids = {p.name: p.pid for p in processes}
            before = cpu.trees_jiffies(pids)
            runs.append(converse(portal_url, 10, args.duration, "through the portal"))
            after = cpu.trees_jiffies(pids)
            report["cpu_ms_per_turn_ten_conversations"] = cpu.ms_per(
                before, after, len(runs[-1].latencies))
            report["rasa_rss_mb"] = round(rss_mb(rasa.pid), 0)
            report["actions_rss_mb"] = round(rss_mb(actions.pid), 0)
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
                process.stop(signal.SIGINT, group=True, grace=30)
            logs = RESULTS_DIR / "chat-logs"  # kept for reading after the run
            logs.mkdir(parents=True, exist_ok=True)
            for process in processes:
                shutil.copyfile(process.log, logs / f"{process.name}.log")
        if args.profile and profile_path.exists():
            report["profile"] = summarise_profile(profile_path)
            shutil.copyfile(profile_path, logs / "rasa.prof")

    print_report(report)
    say(f"\nJSON: {write_json(report, 'chat', 'chat-latest.json')}")


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
        say(verdict(targets.CHAT_P95_ONE, one["p95_ms"]))
        say(verdict(targets.CHAT_TURNS_TEN, ten["turns_per_s"]))
    if "unavailable" in report:
        u = report["unavailable"]
        timeout_ms = u["chat_timeout_s"] * 1000
        say(f"the chat's 'unavailable' answer ({u['requests']} messages each, "
            f"CHAT_TIMEOUT {u['chat_timeout_s']:g} s = {timeout_ms:.0f} ms):")
        for case, label in (("rasa_down", "nothing listening at Rasa's address"),
                            ("rasa_slow", "Rasa slower than CHAT_TIMEOUT")):
            say(f"  {label:>38}: p50 {u[case]['p50_ms']} ms, p95 {u[case]['p95_ms']} ms, "
                f"p99 {u[case]['p99_ms']} ms  {u[case]['statuses']}")
        say(verdict(targets.CHAT_RASA_DOWN, u["rasa_down"]["p95_ms"]))
        say(verdict(targets.CHAT_RASA_SLOW_OVER_TIMEOUT,
                    round(u["rasa_slow"]["p95_ms"] - timeout_ms, 1)))
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
