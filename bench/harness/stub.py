"""Rasa as the chat's failure cases see it: nothing listening, or a Rasa that answers late.

(The same idea as tests/chat/stack.py's StubRasa, kept apart: the benchmarks do not
import from tests/.)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.harness.common import HOST
from bench.harness.processes import free_port


def closed_url() -> str:
    """An address where nothing listens (connections are refused at once)."""
    return f"http://{HOST}:{free_port()}"


class SlowRasa:
    """A real HTTP server on a free port that answers Rasa's webhook after `delay` s."""

    def __init__(self, delay: float, reply: object = ({"text": "too late"},)) -> None:
        body = json.dumps(list(reply)).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the portal gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> SlowRasa:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
