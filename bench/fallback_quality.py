"""When the assistant is unsure and searches instead: how often it helps, how often it misleads.

    .venv/bin/python -m bench.fallback_quality [--model bot/models/indgang.tar.gz]
    (or: make fallback-quality)

The assistant answers an unsure turn (`nlu_fallback`) and an "out of scope" turn with the
catalogue's search on the citizen's own words (bot/actions/actions.py, `SearchInstead`):
offers when the portal is `confident` of the life situation the words name, never when
the classifier gives crisis any real weight. This report runs that rule on held-out
messages only, never used to tune the search, the classifier or the rule:

- help wanted: tests/search_eval/held_out.yml (labelled with life situations). Helps =
  the first offer shown serves a labelled situation; misleads = it does not.
- not help: bot/tests/held_out/off_topic.yml. Any offer shown misleads.
- crisis: bot/tests/held_out/crisis.yml `crisis`. Any offer shown instead of the crisis
  answer is a failure (the crisis answer comes from the crisis intent; here we count
  messages that the classifier missed AND the search would answer with offers).

Each message is first parsed by the trained model (Rasa's NLU in bot/.venv, the same
pipeline as the chat); "unsure" = the turns the rule runs on. The rule is also reported
on every message ("if every turn were unsure"), which measures the search's confidence
alone. The portal is the demo catalogue in a scratch SQLite database.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
HELD_OUT_QUERIES = ROOT / "tests" / "search_eval" / "held_out.yml"
OFF_TOPIC = BOT / "tests" / "held_out" / "off_topic.yml"
CRISIS = BOT / "tests" / "held_out" / "crisis.yml"
UNSURE_INTENTS = ("nlu_fallback", "out_of_scope")
CRISIS_DOUBT = 0.1  # as bot/actions/actions.py: crisis with this weight gets no offers

_PARSE = """
import asyncio, json, logging, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from rasa.core.agent import Agent
from rasa.utils.log_utils import configure_structlog
logging.getLogger("rasa").setLevel(logging.WARNING)
configure_structlog(logging.WARNING)
agent = Agent.load(sys.argv[1])
loop = asyncio.new_event_loop()
out = []
for text in json.load(sys.stdin):
    parsed = loop.run_until_complete(agent.parse_message(text))
    out.append({"intent": (parsed.get("intent") or {}).get("name"),
                "ranking": [[r["name"], r["confidence"]]
                            for r in parsed.get("intent_ranking") or []]})
json.dump(out, sys.stdout)
"""


@dataclass
class Message:
    text: str
    lang: str
    kind: str  # "help", "off-topic", "crisis"
    municipality: str | None = None
    situations: frozenset[str] = frozenset()
    intent: str | None = None
    crisis_weight: float = 0.0
    shown: list[str] = field(default_factory=list)  # the offers the rule would show

    @property
    def unsure(self) -> bool:
        return self.intent in UNSURE_INTENTS


def messages() -> list[Message]:
    items = [Message(q["q"], q["lang"], "help", q.get("municipality"),
                     frozenset(q.get("situations") or ()))
             for q in yaml.safe_load(HELD_OUT_QUERIES.read_text(encoding="utf-8"))
             if q.get("situations")]
    items += [Message(text, "da", "off-topic") for text in
              yaml.safe_load(OFF_TOPIC.read_text(encoding="utf-8"))["off_topic"]]
    items += [Message(text, "da", "crisis") for text in
              yaml.safe_load(CRISIS.read_text(encoding="utf-8"))["crisis"]]
    return items


def parse(items: list[Message], model: Path) -> None:
    """The trained model's intent and crisis weight for each message (bot/.venv)."""
    done = subprocess.run([str(BOT / ".venv" / "bin" / "python"), "-c", _PARSE, str(model)],
                          input=json.dumps([m.text for m in items]), capture_output=True,
                          text=True, cwd=BOT, check=True,
                          env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(BOT)})
    for item, parsed in zip(items, json.loads(done.stdout), strict=True):
        item.intent = parsed["intent"]
        item.crisis_weight = max((c for n, c in parsed["ranking"] if n == "crisis"), default=0.0)


def search_instead(items: list[Message], workdir: Path) -> dict[str, frozenset[str]]:
    """What the rule would show for each message (the portal's API, as the bot asks it);
    returns each offer's situations."""
    from bench.search_quality import scratch_app
    from portal.catalogue.index import current_index

    app = scratch_app(ROOT / "content", workdir)
    with app.app_context():
        situations = {o.slug: frozenset(s.slug for s in o.situations)
                      for o in current_index().offers_by_slug.values()}
    client = app.test_client()
    for item in items:
        if item.crisis_weight >= CRISIS_DOUBT:
            continue
        body = client.get("/api/v1/offers", query_string={
            "q": item.text[:200], "lang": item.lang, "per_page": 3,
            **({"municipality": item.municipality} if item.municipality else {})}).get_json()
        understood = body.get("understood") or {}
        offers = body["items"] or body.get("nearest") or []
        if understood.get("confident") and understood.get("situations") and offers:
            item.shown = [o["slug"] for o in offers[:3]]
    return situations


def outcome(item: Message, situations: dict[str, frozenset[str]]) -> str:
    if not item.shown:
        return "choices"  # the plain fallback: situation buttons, search, a person
    if item.kind == "help" and situations[item.shown[0]] & item.situations:
        return "helps"
    return "misleads"


def report(items: list[Message], situations: dict[str, frozenset[str]]) -> str:
    lines = ["kind        messages  unsure(NLU) | of the unsure: helps  misleads  choices"
             " | rule on every message: helps  misleads  choices"]
    for kind in ("help", "off-topic", "crisis"):
        group = [m for m in items if m.kind == kind]
        unsure = [m for m in group if m.unsure]
        counts = [sum(outcome(m, situations) == o for m in sub)
                  for sub in (unsure, group) for o in ("helps", "misleads", "choices")]
        lines.append(f"{kind:11} {len(group):8}  {len(unsure):11} | {counts[0]:20} "
                     f"{counts[1]:9} {counts[2]:8} | {counts[3]:28} {counts[4]:9} {counts[5]:8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BOT / "models" / "indgang.tar.gz")
    args = parser.parse_args(argv)
    if not args.model.exists():
        sys.exit(f"No trained model at {args.model} (make bot-train)")
    items = messages()
    parse(items, args.model.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        situations = search_instead(items, Path(tmp))
    # Counts only: listing held-out misses would invite tuning on them.
    print(report(items, situations))


if __name__ == "__main__":
    main()
