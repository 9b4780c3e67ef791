"""Page weight, measured one way: in Debian's Chromium (Playwright, a phone's profile),
from Chromium's own network events. Without Chromium it is not measured, and says so.

Also checks every static file of the first visit for a long max-age, an ETag that gives
304, and compression when it is text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from bench.harness import targets
from bench.harness.common import ACCEPT_ENCODING, HOST, fetch, say

QUERY = "drikker for meget"  # what the phone searches for on the second page


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


def visit(base_url: str, chromium: str, query: str) -> tuple[PageVisit, PageVisit]:
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


def page_weights(base_url: str, chromium: str | None, catalogue: str) -> dict:
    """The first visit and the second page of `catalogue`'s portal at `base_url`; when
    Chromium is missing or fails, a record that says why it was not measured."""
    if chromium is None:
        return not_measured(catalogue, "Chromium is missing (make bench-tools installs it)")
    try:
        first, second = visit(base_url, chromium, QUERY)
    except Exception as exc:  # any failure: say so, and measure nothing else instead
        reason = f"Chromium failed: {(str(exc).strip().splitlines() or [type(exc).__name__])[0]}"
        say(f"  page weight not measured: {reason}")
        return not_measured(catalogue, reason)
    checks = check_cache_headers(first)
    refetched = [r.url for r in second.resources
                 if r.kind != "Document" and not r.from_cache and r.transfer > 0]
    return {
        "catalogue": catalogue,
        "method": "chromium",
        "accept_encoding": ACCEPT_ENCODING,
        "first_visit": {"url": first.url, "bytes": first.transfer, "by_kind": first.by_kind(),
                        "resources": [asdict(r) for r in first.resources],
                        "target_kb": targets.FIRST_VISIT.limit,
                        "pass": targets.FIRST_VISIT.met(first.transfer / 1024)},
        "second_page": {"url": second.url, "bytes": second.transfer,
                        "by_kind": second.by_kind(), "refetched_static": refetched,
                        "resources": [asdict(r) for r in second.resources],
                        "target_kb": targets.SECOND_PAGE.limit,
                        "pass": targets.SECOND_PAGE.met(second.transfer / 1024)},
        "cache_checks": [asdict(c) for c in checks],
        "cache_ok": all(c.ok for c in checks) and not refetched,
    }


def not_measured(catalogue: str, reason: str) -> dict:
    return {"catalogue": catalogue, "method": None, "not_measured": reason}
