"""Process lifecycle: free ports, starting a server and waiting until it answers,
stopping exactly what was started, gunicorn as in production, resident memory."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness.common import HOST, RESULTS_DIR, ROOT, fetch, say


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    """A server we started, in its own process group, with its output in `log`."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for(self, url: str, timeout: float) -> float:
        """Seconds until `url` answers 200; stops the benchmark if the process exits or
        takes longer than `timeout`."""
        started = time.perf_counter()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.perf_counter() - started < timeout:
            if self.popen.poll() is not None:
                raise SystemExit(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError), opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer within {timeout:.0f} s:\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, group: bool = False, grace: float = 20) -> None:
        """`sig` to the process (gunicorn's master: graceful) or to its whole process
        group, then SIGKILL to the group if it lingers."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if group:
                    os.killpg(self.popen.pid, sig)
                else:
                    self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def spawn(name: str, args: list[str], cwd: Path, env: dict[str, str], logs: Path,
          log_name: str | None = None) -> Process:
    log = logs / (log_name or f"{name}.log")
    with log.open("w") as out:
        popen = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
    return Process(name, popen, log)


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


def gunicorn(name: str, config: ServerConfig, env: dict[str, str], logs: Path,
             log_level: str | None = None) -> tuple[Process, str]:
    """The portal under gunicorn, as `make serve-prod` runs it, on 127.0.0.1 and a free
    port: the process and its base URL (not yet answering: `wait_for` it)."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(config.workers),
           "--worker-class", config.worker_class, "--bind", f"{HOST}:{port}"]
    if log_level:
        cmd += ["--log-level", log_level]
    if config.worker_class == "gthread":
        cmd += ["--threads", str(config.threads)]
    cmd.append("portal:create_app()")
    return spawn(name, cmd, ROOT, env, logs, f"{name}-{port}.log"), f"http://{HOST}:{port}"


@dataclass
class Server:
    """A running gunicorn for the load runs."""

    base_url: str
    process: Process
    started_seconds: float = 0.0
    warm_seconds: float = 0.0
    postgresql: bool = False

    def worker_failures(self) -> int:
        """Workers the master had to replace: timeouts and crashes (SIGSEGV, ...)."""
        try:
            log = self.process.log.read_text(errors="replace")
        except OSError:
            return 0
        return log.count("WORKER TIMEOUT") + len(re.findall(r"was sent SIG\w+", log))


@contextlib.contextmanager
def serve(name: str, config: ServerConfig, env: dict[str, str], workdir: Path,
          postgresql: bool = False) -> Iterator[Server]:
    """gunicorn until the block ends; its log is kept in bench/results/ when workers
    timed out or crashed."""
    started = time.perf_counter()
    process, base_url = gunicorn(f"gunicorn-{name}", config, env, workdir, "warning")
    server = Server(base_url, process, postgresql=postgresql)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.popen.poll() is not None:
                raise SystemExit(f"gunicorn exited ({process.popen.returncode}):\n"
                                 f"{process.tail(20)}")
            try:
                status, _, _ = fetch(base_url + "/api/v1/situations", timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s:\n{process.tail(20)}")
            time.sleep(0.2)
        server.started_seconds = time.perf_counter() - started
        yield server
    finally:
        process.stop()
        if server.worker_failures():
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            kept = RESULTS_DIR / process.log.name
            shutil.copyfile(process.log, kept)
            say(f"  !! {server.worker_failures()} worker(s) timed out or crashed; log kept in "
                f"{kept.relative_to(ROOT)}")


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
