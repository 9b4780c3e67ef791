"""The held-out conversation set, run against the real assistant through the portal.

    make bot-held-out                                                 # trains if needed
    .venv/bin/python -m tests.chat.conversations                      # bot/models/indgang.tar.gz
    .venv/bin/python -m tests.chat.conversations --model /tmp/x/indgang.tar.gz --json out.json
    .venv/bin/python -m tests.chat.conversations --only da-alcohol-01 --verbose

The set is bot/tests/held_out/conversations/*.yml, written blind to the training data and
NEVER used for tuning (see the files' header). The stack is the one of the end-to-end chat
tests (tests/chat/test_chat_e2e.py): the portal with the demo catalogue on a scratch
SQLite database, served over HTTP, and Rasa with its action server from bot/ (stack.py).
Each conversation is a new visitor (new cookies, so a new chat), on a Danish or English
page, with or without a municipality chosen on the page.

A conversation passes when every expectation of every turn is met. What is checked is
what a citizen sees in the replies (see `check`):

- `situations`: offer links, and for each listed situation (or one of a list of
  alternatives) a linked offer the catalogue tags with it (`GET /api/v1/offers/<slug>`);
  several situations are several needs: one for each (an offer tagged with two counts
  for both: it serves both);
- `offers`: one of these offers is linked;
- `crisis`: the first message gives 112;
- `no_offers`: no offer is linked (off-topic);
- `about_offer`: the reply is about the offer just shown (the first offer of the latest
  reply with offers: its page, its booking page or its title), not a new list of offers
  that were not shown (answering for each offer shown is about them);
- `mentions`: a regular expression the reply matches (case ignored);
- `not_fallback`: not a bare "I did not understand" (no offer and that sentence);
- always: the answer's language is the one the citizen writes (`lang` of the file or the
  conversation) — links on that language's pages, and the text judged by `text_language`,
  a word count of this file's own, independent of the assistant.

A turn with `only_if_asked: true` answers the assistant's question about the
municipality: it is sent only when the reply before it asked for one instead of showing
offers, and then the expectations of the turn before are checked on its reply.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from tests.chat.stack import BOT, MODEL, RASA_TOKEN, RasaStack, Visitor, _get_json

SET_DIR = BOT / "tests" / "held_out" / "conversations"
PAGES = {"da": "/", "en": "/en/"}
OFFER_PAGE = re.compile(r"^/(?:tilbud|en/offers)/([a-z0-9-]+)/?$")
OFFER_ANY = re.compile(r"^/(?:tilbud|en/offers)/([a-z0-9-]+)(?:/|$)")
ASKS_MUNICIPALITY = re.compile(r"kommune|municipalit", re.IGNORECASE)
BARE_FALLBACK = re.compile(
    r"ikke sikker på,? at jeg forst|forstod (dig|det) ikke|forstår (dig|det) ikke"
    r"|not sure (that )?I understood|did(n't| not) understand|don't understand",
    re.IGNORECASE)
# Words that are frequent in one language and not a word (or rare) in the other.
DANISH = frozenset(str.split(
    "og jeg du det den til er har hvor kan ikke med på af vil der som hvis eller også dig "
    "din dit være gerne skal kommune tilbud hjælp hvad hvilken bor nogen kilderne ved "
    "mig vi de en et om men så fra sig selv"))
ENGLISH = frozenset(str.split(
    "the and you your is are can not with of if or also be would will this that "
    "municipality offer offers help what which where live someone sources know me we "
    "they an about but so from yourself"))
EXPECT_KEYS = {"situations", "offers", "crisis", "no_offers", "about_offer", "mentions",
               "not_fallback"}


# --- The set ---------------------------------------------------------------------------

@dataclass
class Turn:
    say: str
    expect: dict[str, Any] = field(default_factory=dict)
    only_if_asked: bool = False


@dataclass
class Conversation:
    id: str
    category: str
    lang: str  # the language the citizen writes: the answer's expected language
    page: str  # the page's language (the chat widget sends it)
    municipality: str | None
    turns: list[Turn]


def load_set(directory: Path = SET_DIR) -> list[Conversation]:
    """All conversations of the set's files, checked for typos in their expectations."""
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        conversations += parse(data, default_lang=data.get("lang", "da"))
    ids = [c.id for c in conversations]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate conversation ids: {sorted(duplicates)}")
    return conversations


def parse(data: dict[str, Any], default_lang: str = "da") -> list[Conversation]:
    out = []
    for item in data["conversations"]:
        lang = item.get("lang", default_lang)
        turns = []
        for raw in item["turns"]:
            expect = raw.get("expect") or {}
            unknown = set(expect) - EXPECT_KEYS
            if unknown:
                raise ValueError(f"{item['id']}: unknown expectation {sorted(unknown)}")
            turns.append(Turn(str(raw["say"]), expect, bool(raw.get("only_if_asked"))))
        out.append(Conversation(
            id=item["id"], category=item["category"], lang=lang,
            page=item.get("page", lang), municipality=item.get("municipality"), turns=turns))
    return out


# --- Reading a reply ---------------------------------------------------------------------

def links(reply: dict[str, Any]) -> list[str]:
    """The paths of the reply's links (tel: and other schemes left out)."""
    paths = []
    for message in reply.get("messages", []):
        for link in message.get("links", []):
            url = urllib.parse.urlsplit(link.get("url", ""))
            if url.scheme in ("", "http", "https") and url.path.startswith("/"):
                paths.append(url.path)
    return paths


def offer_slugs(reply: dict[str, Any]) -> list[str]:
    """The offers the reply links to (their pages), in order."""
    slugs: list[str] = []
    for path in links(reply):
        match = OFFER_PAGE.match(path)
        if match and match.group(1) not in slugs:
            slugs.append(match.group(1))
    return slugs


def all_text(reply: dict[str, Any]) -> str:
    """Everything the reply shows: texts, link titles and urls, buttons."""
    parts = []
    for message in reply.get("messages", []):
        parts.append(message.get("text") or "")
        parts += [f'{lk.get("title", "")} {lk.get("text", "")} {lk.get("url", "")}'
                  for lk in message.get("links", [])]
        parts += [b.get("title", "") for b in message.get("buttons", [])]
    return re.sub(r"(?<=\d) (?=\d)", "", " ".join(parts))


def text_language(text: str) -> str | None:
    """"da", "en" or None (too little to tell), by counting frequent words of each."""
    words = re.findall(r"[a-zæøå']+", text.lower())
    da = sum(w in DANISH for w in words)
    en = sum(w in ENGLISH for w in words)
    if da == en or max(da, en) < 2:
        return None
    return "da" if da > en else "en"


def is_bare_fallback(reply: dict[str, Any]) -> bool:
    texts = " ".join(m.get("text") or "" for m in reply.get("messages", []))
    return not offer_slugs(reply) and bool(BARE_FALLBACK.search(texts))


def asks_municipality(reply: dict[str, Any]) -> bool:
    texts = " ".join(m.get("text") or "" for m in reply.get("messages", []))
    return not offer_slugs(reply) and bool(ASKS_MUNICIPALITY.search(texts))


# --- Checking a turn -----------------------------------------------------------------------

class Facts(Protocol):
    """What the checks need to know about an offer (the portal's API answers it)."""

    def situations(self, slug: str) -> list[str]: ...

    def titles(self, slug: str) -> list[str]: ...


def check(reply: dict[str, Any], expect: dict[str, Any], lang: str, facts: Facts,
          shown: Sequence[str] = ()) -> list[str]:
    """What in `reply` fails `expect` (empty: all met).

    `shown`: the offers of the latest reply before this one that showed offers, in order.
    """
    problems: list[str] = []
    if reply.get("status") != "ok" or not reply.get("messages"):
        return [f"no answer: {reply}"]
    slugs = offer_slugs(reply)

    for wanted in expect.get("situations") or []:
        options = [wanted] if isinstance(wanted, str) else list(wanted)
        if not any(set(options) & set(facts.situations(s)) for s in slugs):
            problems.append(f"no offer for {'/'.join(options)} (offers: {slugs or 'none'})")
    if expect.get("offers") and not set(expect["offers"]) & set(slugs):
        problems.append(f"none of {expect['offers']} (offers: {slugs or 'none'})")
    if expect.get("crisis"):
        first = all_text({"messages": reply["messages"][:1]})
        if "112" not in first:
            problems.append("no 112 in the first message")
    if expect.get("no_offers") and slugs:
        problems.append(f"offers shown off-topic: {slugs}")
    if expect.get("about_offer"):
        problems += _about_offer(reply, shown, facts)
    if expect.get("mentions") and not re.search(expect["mentions"], all_text(reply),
                                                re.IGNORECASE):
        problems.append(f"does not mention /{expect['mentions']}/")
    if (expect.get("not_fallback") or expect.get("situations") or expect.get("offers")
            or expect.get("about_offer")) and is_bare_fallback(reply):
        problems.append("a bare 'I did not understand'")
    problems += _language(reply, lang)
    return problems


def _about_offer(reply: dict[str, Any], shown_offers: Sequence[str],
                 facts: Facts) -> list[str]:
    if not shown_offers:
        return ["no offer was shown before the question"]
    shown = shown_offers[0]
    referenced = {m.group(1) for p in links(reply) if (m := OFFER_ANY.match(p))}
    said = all_text(reply).lower()
    if shown in referenced or any(t.lower() in said for t in facts.titles(shown)):
        others = [s for s in offer_slugs(reply) if s not in shown_offers]
        if len(others) >= 2:
            return [f"a new list of offers instead of an answer about {shown}: {others}"]
        return []
    return [f"not about {shown} (links: {links(reply) or 'none'})"]


def _language(reply: dict[str, Any], lang: str) -> list[str]:
    problems = []
    for path in links(reply):
        english = path == "/en" or path.startswith("/en/")
        if english != (lang == "en"):
            problems.append(f"a link in the other language: {path}")
            break
    texts = " ".join(m.get("text") or "" for m in reply.get("messages", []))
    judged = text_language(texts)
    if judged is not None and judged != lang:
        problems.append(f"answered in {judged}, written in {lang}")
    return problems


# --- Running -------------------------------------------------------------------------------

class OfferFacts:
    """An offer's situations and titles from the portal's API (`GET /api/v1/offers/<slug>`)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._offers: dict[tuple[str, str], dict[str, Any]] = {}

    def situations(self, slug: str) -> list[str]:
        return list(self._offer(slug, "da").get("situations") or [])

    def titles(self, slug: str) -> list[str]:
        """Its title in Danish and in English (either may name it in an answer)."""
        return [t for lang in ("da", "en") if (t := self._offer(slug, lang).get("title"))]

    def _offer(self, slug: str, lang: str) -> dict[str, Any]:
        if (slug, lang) not in self._offers:
            try:
                self._offers[slug, lang] = _get_json(
                    f"{self.base_url}/api/v1/offers/{slug}?lang={lang}", timeout=30)
            except (OSError, ValueError):  # an unknown slug (404) fits nothing
                self._offers[slug, lang] = {}
        return self._offers[slug, lang]


@dataclass
class Result:
    id: str
    category: str
    lang: str
    page: str
    passed: bool
    problems: list[str]
    transcript: list[dict[str, Any]]
    seconds: float


def run_conversation(base_url: str, conversation: Conversation,
                     facts: OfferFacts) -> Result:
    """One conversation as a new visitor; its turns, checked as they come."""
    started = time.monotonic()
    visitor = Visitor(base_url)
    if conversation.municipality:
        visitor.choose_municipality(conversation.municipality)
    visitor.open_page(PAGES[conversation.page])
    problems: list[str] = []
    transcript: list[dict[str, Any]] = []
    shown: list[str] = []  # the offers of the latest reply with offers
    # The expectations waiting for the answer to the assistant's municipality question.
    pending: tuple[int, dict[str, Any], list[str]] | None = None
    turns = conversation.turns
    for number, turn in enumerate(turns, start=1):
        if turn.only_if_asked and pending is None:
            continue  # the assistant did not ask (its reply was checked as it was)
        status, reply = visitor.say(turn.say)
        if status != 200:
            reply = {"status": f"HTTP {status}", "messages": [], "error": reply}
        transcript.append({"say": turn.say, "reply": reply})
        if turn.only_if_asked and pending is not None:
            at, expect, shown_then = pending[0], {**pending[1], **turn.expect}, pending[2]
            pending = None
        else:
            at, expect, shown_then = number, turn.expect, shown
        answers_next = number < len(turns) and turns[number].only_if_asked
        if answers_next and asks_municipality(reply):
            pending = (at, expect, shown_then)
        elif expect:
            label = f"turn {at}" if at == number else f"turn {at} (answered at turn {number})"
            problems += [f"{label}: {p}" for p in
                         check(reply, expect, conversation.lang, facts, shown_then)]
        offers = offer_slugs(reply)
        if offers:
            shown = offers
    return Result(conversation.id, conversation.category, conversation.lang,
                  conversation.page, not problems, problems, transcript,
                  round(time.monotonic() - started, 2))


def summary(results: list[Result]) -> dict[str, Any]:
    """The share passed overall, per language written and per category."""
    def share(items: list[Result]) -> dict[str, Any]:
        passed = sum(r.passed for r in items)
        return {"passed": passed, "total": len(items),
                "share": round(passed / len(items), 3) if items else None}

    groups: dict[str, dict[str, list[Result]]] = {"lang": defaultdict(list),
                                                  "category": defaultdict(list)}
    for r in results:
        groups["lang"][r.lang].append(r)
        groups["category"][r.category].append(r)
    return {"overall": share(results),
            "per_lang": {k: share(v) for k, v in sorted(groups["lang"].items())},
            "per_category": {k: share(v) for k, v in sorted(groups["category"].items())}}


@contextmanager
def portal_with_assistant(model: Path) -> Iterator[str]:
    """The portal (demo catalogue, scratch SQLite) over HTTP, its chat on the real Rasa."""
    import tempfile

    from portal.chat.rasa import RasaClient
    from portal.content.loader import read_content, sync_content
    from portal.core.extensions import db
    from tests.conftest import make_app, reset_database, served

    with tempfile.TemporaryDirectory(prefix="held-out-") as scratch:
        app = make_app(f"sqlite:///{scratch}/held-out.sqlite3",
                       CHAT_RATE_LIMIT="", CHAT_RATE_LIMIT_PER_ADDRESS="")
        reset_database(app)
        for name in ("werkzeug", "alembic"):  # one line per request is noise here
            logging.getLogger(name).setLevel(logging.WARNING)
        with app.app_context():
            sync_content(db.session,
                         read_content(app.config["CONTENT_DIR"], app.config["SEEDS_DIR"]))
        with served(app) as url:
            stack = RasaStack(url, model=model)
            try:
                stack.start()
                stack.warm_up()
                app.extensions["chat_bot"] = RasaClient(stack.rasa_url, timeout=60,
                                                        token=RASA_TOKEN)
                yield url
            finally:
                stack.stop()


def run(conversations: list[Conversation], base_url: str,
        progress: Callable[[Result], None] | None = None) -> list[Result]:
    facts = OfferFacts(base_url)
    results = []
    for conversation in conversations:
        try:
            result = run_conversation(base_url, conversation, facts)
        except (OSError, ValueError, AssertionError) as error:  # a timeout, a broken page
            result = Result(conversation.id, conversation.category, conversation.lang,
                            conversation.page, False, [f"error: {error!r}"], [], 0.0)
        results.append(result)
        if progress:
            progress(result)
    return results


def report(results: list[Result]) -> str:
    figures = summary(results)
    lines = []

    def row(name: str, s: dict[str, Any]) -> str:
        return f"  {name:<22} {s['passed']:>4}/{s['total']:<4} {100 * (s['share'] or 0):5.1f} %"

    lines.append(row("overall", figures["overall"]))
    lines.append("per language written:")
    lines += [row(k, v) for k, v in figures["per_lang"].items()]
    lines.append("per category:")
    lines += [row(k, v) for k, v in figures["per_category"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL,
                        help="the trained assistant (default: bot/models/indgang.tar.gz)")
    parser.add_argument("--json", type=Path, help="write figures and every result here")
    parser.add_argument("--set", type=Path, default=SET_DIR, dest="set_dir",
                        help="the folder of the conversation files (default: the held-out set)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only these conversation ids (or id prefixes)")
    parser.add_argument("--verbose", action="store_true", help="print every transcript")
    args = parser.parse_args(argv)

    import portal

    conversations = load_set(args.set_dir)
    if args.only:
        conversations = [c for c in conversations
                         if any(c.id.startswith(p) for p in args.only)]
    model = args.model.resolve()
    if not model.exists():
        print(f"no trained assistant at {model}", file=sys.stderr)
        return 2
    print(f"portal: {Path(portal.__file__).parent}\nbot (action server): {BOT}\n"
          f"model: {model}\nconversations: {len(conversations)}", flush=True)

    def progress(result: Result) -> None:
        mark = "ok  " if result.passed else "FAIL"
        print(f"{mark} {result.id} ({result.seconds:.1f} s)", flush=True)
        for problem in result.problems:
            print(f"       {problem}", flush=True)
        if args.verbose or not result.passed:
            for item in result.transcript:
                said = " | ".join(m.get("text") or "" for m in item["reply"].get("messages", []))
                print(f"       > {item['say']}\n       < {said[:300]} "
                      f"{offer_slugs(item['reply'])}", flush=True)

    started = time.monotonic()
    with portal_with_assistant(model) as url:
        results = run(conversations, url, progress)
    elapsed = time.monotonic() - started
    print(f"\n{report(results)}\n({elapsed:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(
            {"model": str(model), "portal": str(Path(portal.__file__).parent),
             "bot": str(BOT), "figures": summary(results),
             "results": [asdict(r) for r in results]}, ensure_ascii=False, indent=1),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
