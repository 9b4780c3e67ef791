"""Helpers for the chat tests: the real Rasa stack, a stub Rasa, and a visitor over HTTP.

`RasaStack` starts the action server and Rasa from bot/ (its own Python 3.10 venv) on
free ports, the way the Procfile does, and stops exactly the processes it started.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
RASA = BOT / ".venv" / "bin" / "rasa"
# INDGANG_TEST_MODEL: another trained model (e.g. one trained into a scratch folder).
MODEL = Path(os.environ.get("INDGANG_TEST_MODEL") or BOT / "models" / "indgang.tar.gz")
# The action server's token for the portal's API (the test app accepts it: conftest).
API_TOKEN = "chat-tests-action-server-token"
# Rasa's HTTP API token (`--auth-token`), as RASA_AUTH_TOKEN gives it to the portal.
RASA_TOKEN = "chat-tests-rasa-api-token"
LOGS = ROOT / "test-artifacts"
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_url() -> str:
    """An address where nothing listens (connections are refused at once)."""
    return f"http://127.0.0.1:{free_port()}"


def _get_json(url: str, timeout: float = 2.0) -> Any:
    with _direct.open(url, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class RasaStack:
    """The action server and Rasa, talking to the portal at `portal_url`."""

    portal_url: str
    model: Path = MODEL
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self, timeout: float = 180.0) -> None:
        LOGS.mkdir(exist_ok=True)
        # As the Procfile: bot/quiet/ keeps Rasa's dependencies' deprecation warnings out.
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": "quiet"}
        self._spawn(
            "actions",
            [str(RASA), "run", "actions", "--actions", "actions",
             "--port", str(self.actions_port)],
            {**env, "PORTAL_URL": self.portal_url, "PORTAL_API_TOKEN": API_TOKEN},
        )
        self._wait(f"http://127.0.0.1:{self.actions_port}/health",
                   lambda body: isinstance(body, dict) and body.get("status") == "ok",
                   timeout=60.0)
        self._spawn(
            "rasa",
            [str(RASA), "run", "--enable-api", "--auth-token", RASA_TOKEN,
             "-p", str(self.rasa_port), "-i", "127.0.0.1",
             "-m", str(self.model), "--credentials", "credentials.yml",
             "--endpoints", "endpoints.yml"],
            {**env,
             "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}/webhook"},
        )
        self._wait(f"{self.rasa_url}/status?token={RASA_TOKEN}",
                   lambda body: isinstance(body, dict) and bool(body.get("model_file")),
                   timeout=timeout)

    def warm_up(self) -> None:
        """One throwaway conversation: the first prediction after loading is slow."""
        body = json.dumps({"sender": "warm-up", "message": "hej",
                           "metadata": {"lang": "da", "municipality": None}}).encode()
        request = urllib.request.Request(f"{self.rasa_url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with _direct.open(request, timeout=120) as response:
                response.read()
        except (OSError, ValueError):
            pass

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.processes.clear()

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = open(LOGS / f"chat-{name}.log", "wb")  # noqa: SIM115 (kept open for the process)
        process = subprocess.Popen(args, cwd=BOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        process.log_name = log.name  # type: ignore[attr-defined]
        self.processes.append(process)

    def _wait(self, url: str, ready: Callable[[Any], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.processes[-1]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[1:3]} exited with {process.returncode}:\n"
                                   + _tail(process.log_name))
            try:
                if ready(_get_json(url)):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(1.0)
        raise RuntimeError(f"not ready after {timeout:.0f} s: {url}\n" + _tail(process.log_name))


def _tail(path: str, lines: int = 40) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class StubRasa:
    """A real HTTP server that answers Rasa's webhook with what a test sets.

    `reply` is the JSON to send (or raw bytes), `status` the HTTP status, `delay` seconds
    to wait first. `received` keeps the request bodies.

    Rasa's HTTP API too: `POST /conversations/<id>/tracker/events` is recorded in
    `events` as (conversation id, the event or list of events, token), and
    `POST /model/parse` answers with `intent` (recorded in `parsed`). `on_message(body)`,
    if set, runs before the webhook answers (as the action server would call the portal
    during a turn).
    """

    def __init__(self) -> None:
        self.reply: Any = []
        self.status = 200
        self.delay = 0.0
        self.received: list[dict[str, Any]] = []
        self.events: list[tuple[str, dict[str, Any], str | None]] = []
        self.parsed: list[str] = []
        self.intent = "greet"
        self.on_message: Callable[[dict[str, Any]], None] | None = None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                data = json.loads(self.rfile.read(length) or b"null")
                url = urllib.parse.urlsplit(self.path)
                token = urllib.parse.parse_qs(url.query).get("token", [None])[0]
                api = re.fullmatch(r"/conversations/([^/]+)/tracker/events", url.path)
                if api or url.path == "/model/parse":
                    if api:
                        stub.events.append((urllib.parse.unquote(api.group(1)), data, token))
                        answer: Any = {"sender_id": api.group(1), "events": []}
                    else:
                        stub.parsed.append(data.get("text") if isinstance(data, dict) else "")
                        answer = {"text": data.get("text"), "intent": {
                            "name": stub.intent, "confidence": 0.99}}
                    self._answer(200, json.dumps(answer).encode())
                    return
                stub.received.append(data)
                if stub.on_message is not None:
                    stub.on_message(data)
                if stub.delay:
                    time.sleep(stub.delay)
                body = stub.reply if isinstance(stub.reply, bytes) else json.dumps(
                    stub.reply).encode()
                self._answer(stub.status, body)

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the portal gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Visitor:
    """A citizen's browser without JavaScript: cookies, the page's CSRF token, JSON posts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies))
        self.token = ""
        self.lang = "da"

    def open_page(self, path: str) -> str:
        html = self.get(path)[1]
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        assert match, f"no csrf-token meta on {path}"
        self.token = match.group(1)
        lang = re.search(r'<html lang="([a-z]+)"', html)
        self.lang = lang.group(1) if lang else "da"
        return html

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base_url + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def choose_municipality(self, slug: str) -> None:
        """The municipality form, as a citizen submits it (sets the "kommune" cookie)."""
        self.open_page("/")
        form = urllib.parse.urlencode({"csrf_token": self.token, "municipality": slug,
                                       "next": "/"}).encode()
        with self.opener.open(self.base_url + "/kommune", data=form, timeout=30):
            pass
        assert any(c.name == "kommune" and c.value == slug for c in self.cookies)

    def say(self, message: str, timeout: float = 120) -> tuple[int, dict[str, Any]]:
        body = json.dumps({"message": message, "lang": self.lang}).encode()
        request = urllib.request.Request(
            self.base_url + "/chat/messages", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.token})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
