"""What every part of the benchmarks shares: paths, the one address, output, HTTP GET."""

from __future__ import annotations

import secrets
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "bench" / "results"
DEMO_CONTENT = ROOT / "content"
QUERIES = ROOT / "tests" / "search_eval" / "queries.yml"
HOST = "127.0.0.1"  # the only address the benchmarks ever send traffic to
ACCEPT_ENCODING = "gzip, br"
MAX_DURATION = 120  # seconds per load run, whatever is asked

# The portal's API clients send this token to be exempt from the public per-address
# limit on /api/v1/: every portal the benchmarks start gets it (PORTAL_API_TOKEN), and
# every API request they send carries it. New for every run.
API_TOKEN = secrets.token_urlsafe(24)
API_PREFIX = "/api/v1/"


def say(message: str = "") -> None:
    print(message, flush=True)


def api_headers(path: str) -> dict[str, str]:
    """The Authorization header for an API path, nothing for a page."""
    return {"Authorization": f"Bearer {API_TOKEN}"} if path.startswith(API_PREFIX) else {}


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 60.0):
    """GET `url` (always on 127.0.0.1); returns (status, headers, raw body)."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == HOST, url
    request = urllib.request.Request(url, headers={"Accept-Encoding": ACCEPT_ENCODING,
                                                   **api_headers(parts.path),
                                                   **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def find_tool(command: str, package: str, needed_for: str) -> str | None:
    """The path of `command`, or None after saying what is missing (installing is the
    Makefile's job: `make bench-tools`)."""
    path = shutil.which(command)
    if path is None:
        say(f"  {command} is missing ({needed_for}): run `make bench-tools` (as root it "
            f"installs it), or `sudo apt-get install -y {package}`.")
    return path
