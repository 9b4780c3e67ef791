"""A fake portal API for the intake, handoff and offer-facts actions: it answers with the
contract's shapes (tests/briefs contracts: GET /consent-texts, POST /intakes, POST /handoffs;
GET /offers/<slug> with `facts` for a few offers) and records every request, so a test
can check the exact body the action server sent, its token, and that nothing was sent at
all. The real portal is tested in test_intake.py and test_offer_facts.py too.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "fake-portal-token"
BASE = "http://portal.invalid"

MUNICIPALITIES = [{"slug": "egedal", "name": "Egedal", "kind": "municipality"},
                  {"slug": "fredericia", "name": "Fredericia", "kind": "municipality"}]
SITUATIONS = {"da": [{"slug": "debt", "name": "Gæld og økonomi"},
                     {"slug": "alcohol", "name": "Alkohol"},
                     {"slug": "housing", "name": "Bolig og hjemløshed"},
                     {"slug": "loneliness", "name": "Ensomhed"}],
              "en": [{"slug": "debt", "name": "Debt and money"},
                     {"slug": "alcohol", "name": "Alcohol"},
                     {"slug": "housing", "name": "Housing and homelessness"},
                     {"slug": "loneliness", "name": "Loneliness"}]}


def offer_detail(slug: str, lang: str) -> dict[str, Any] | None:
    """`GET /offers/<slug>` for the offers of OFFER_FACTS: the contract's shape, with
    facts whose texts name the offer and the language (so a test sees whose it was)."""
    if slug not in OFFER_FACTS:
        return None
    title, access, anonymous = OFFER_FACTS[slug]
    prefix = "/en/offers/" if lang == "en" else "/tilbud/"
    known = {"referral": True, "anonymous": anonymous}
    facts = {kind: {"known": known.get(kind, False), "text": f"{kind} of {slug} ({lang})."}
             for kind in FACT_KINDS}
    return {"slug": slug, "title": title, "summary": "", "url": f"{BASE}{prefix}{slug}",
            "municipality": {"slug": "egedal", "name": "Egedal", "kind": "municipality"},
            "access": access, "anonymous": anonymous, "virtual": False, "channels": [],
            "situations": [], "audiences": ["citizens"], "last_checked": "2026-11-23",
            "referral_path": ({"kind": "one-entrance-intake", "url": f"{BASE}/en-indgang"}
                              if access == "referral" else None),
            "facts": facts}


FACT_KINDS = ("price", "anonymous", "location", "opening_hours", "referral", "sign_up",
              "waiting_time", "for_whom")
# slug -> (title, access, anonymous)
OFFER_FACTS = {"straksraadgivning-egedal": ("Straks-rådgivning", "open", False),
               "u-turn-koebenhavn": ("U-turn – for unge med rusmidler", "open", True),
               "housing-first-koebenhavn": ("Housing First", "referral", False)}


def consent_item(id_: int, key: str, agency: str | None, lang: str,
                 transcript: bool = False) -> dict[str, Any]:
    words = {"da": ("Formål", "Oplysning", "Part", "Jeg giver samtykke.", "Siger du nej"),
             "en": ("Purpose", "Information", "Party", "I consent.", "If you say no")}[lang]
    return {"id": id_, "key": key, "version": 1, "agency": agency, "transcript": transcript,
            "purpose": f"{words[0]} {key}", "info_types": [f"{words[1]} 1", f"{words[1]} 2"],
            "parties": [f"{words[2]} A", f"{words[2]} B ({key})"], "text": words[3],
            "refusal": f"{words[4]}: {key}."}


def consent_texts(lang: str) -> list[dict[str, Any]]:
    return [consent_item(11, "share-jobcentre", "jobcentre", lang),
            consent_item(12, "share-doctor", "doctor", lang),
            consent_item(13, "share-psychiatry", "psychiatry", lang),
            consent_item(19, "share-chat-transcript", None, lang, transcript=True)]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakePortal:
    """Answers per path; `answers[(method, path)] = (status, body)` overrides."""

    requests: list[Recorded] = field(default_factory=list)
    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    url: str = ""

    def posted(self, path: str) -> list[Any]:
        return [r.body for r in self.requests if r.method == "POST" and r.path == path]

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        lang = (query.get("lang") or ["da"])[0]
        if path == "/api/v1/municipalities":
            return 200, {"items": MUNICIPALITIES}
        if path == "/api/v1/situations":
            return 200, {"items": SITUATIONS.get(lang, SITUATIONS["da"])}
        if path == "/api/v1/pages":
            url = f"{BASE}/en/one-entrance" if lang == "en" else f"{BASE}/en-indgang"
            return 200, {"items": [{"key": "intake", "title": "Én indgang", "url": url}]}
        if path.startswith("/api/v1/offers/") and method == "GET":
            detail = offer_detail(path.rsplit("/", 1)[1], lang)
            if detail:
                return 200, detail
        if path == "/api/v1/consent-texts":
            municipality = (query.get("municipality") or [""])[0]
            if municipality not in {m["slug"] for m in MUNICIPALITIES}:
                return 400, {"errors": {"municipality": "Unknown municipality."}}
            return 200, {"items": consent_texts(lang)}
        if path == "/api/v1/intakes" and method == "POST":
            return 201, {"reference": "IND-2345-6789", "code": "ABCD-EFGH-JKLM",
                         "status": "received",
                         "status_url": f"{BASE}/en-indgang/status/IND-2345-6789",
                         "team": "CSS Egedal", "contact_due_at": "2026-12-02T22:59:00+00:00"}
        if path == "/api/v1/handoffs" and method == "POST":
            return 201, {"reference": "IND-9876-5432", "code": "WXYZ-WXYZ-WXYZ",
                         "status_url": f"{BASE}/en-indgang/status/IND-9876-5432",
                         "live": False, "team": "CSS Egedal",
                         "message": "Ingen kan tage chatten lige nu. Vi ringer senest onsdag.",
                         "contact_due_at": "2026-12-02T22:59:00+00:00"}
        return 404, {"error": "not_found", "message": "Not found."}

    def start(self) -> FakePortal:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                query = parse_qs(parts.query)
                portal.requests.append(Recorded(method, parts.path, query,
                                                dict(self.headers.items()), body))
                status, answer = portal.answer(method, parts.path, query)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
