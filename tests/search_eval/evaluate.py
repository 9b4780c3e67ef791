"""Search quality: how often the right offer is in the top 3 for a citizen's own words.

`queries.yml` was written from the catalogue and the seeds, without looking at the
content texts or the ranking code, so it measures how citizens write rather than how
the offers are worded. Run the report with `python -m tests.search_eval.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.catalogue.query import parse_offer_query
from portal.catalogue.service import find_offers

QUERIES = Path(__file__).with_name("queries.yml")


@dataclass
class Outcome:
    q: str
    lang: str
    municipality: str | None
    expect: list[str]
    top3: list[str]

    @property
    def hit(self) -> bool:
        return any(slug in self.top3 for slug in self.expect)


def load_queries() -> list[dict]:
    return yaml.safe_load(QUERIES.read_text(encoding="utf-8"))


def evaluate() -> list[Outcome]:
    """Run every query through the same service the web and the API use."""
    outcomes = []
    for item in load_queries():
        args = {"q": item["q"], "per_page": "3"}
        if item.get("municipality"):
            args["municipality"] = item["municipality"]
        results = find_offers(parse_offer_query(args, item["lang"]))
        outcomes.append(Outcome(item["q"], item["lang"], item.get("municipality"),
                                item["expect"], [o.slug for o in results.items]))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    lines = []
    for lang in ("da", "en", None):
        subset = [o for o in outcomes if lang is None or o.lang == lang]
        hits = sum(o.hit for o in subset)
        label = {"da": "Danish", "en": "English", None: "All"}[lang]
        lines.append(f"{label:8} top-3: {hits}/{len(subset)} = {hits / len(subset):.1%}")
    misses = [o for o in outcomes if not o.hit]
    if misses:
        lines.append("Misses:")
        lines += [f"  [{o.lang}] {o.q!r} ({o.municipality or 'all'}) expected {o.expect}, "
                  f"got {o.top3}" for o in misses]
    return "\n".join(lines)


if __name__ == "__main__":
    from portal import create_app

    with create_app().app_context():
        print(report(evaluate()))
