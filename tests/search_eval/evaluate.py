"""Search quality: how often the right offer comes first, and in the top 3, for a
citizen's own words.

Two sets, in the same format:

- `queries.yml`, the tuned set: written from the catalogue and the seeds without looking
  at the content texts or the ranking code, but the ranking has since been tuned on it.
- `held_out.yml`, the held-out set: written blind (see its header) and never used to
  tune anything. Its figure is the honest one; report it beside the tuned one.

Run the report with `python -m tests.search_eval.evaluate`. The fuller report (recall@1,
recall@3, precision@3 and off-topic@3 on situation fit, at 34 and 2,000 offers, beside
PostgreSQL's full-text search) is `make search-quality` (bench/search_quality.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.catalogue.query import parse_offer_query
from portal.catalogue.service import find_offers

HERE = Path(__file__).parent
SETS = {"tuned": HERE / "queries.yml", "held out": HERE / "held_out.yml"}
QUERIES = SETS["tuned"]


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

    @property
    def first(self) -> bool:
        return bool(self.top3) and self.top3[0] in self.expect


def load_queries(path: Path = QUERIES) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def evaluate(path: Path = QUERIES) -> list[Outcome]:
    """Run every query of a set that names its right offers (`expect`) through the same
    service the web and the API use. (Queries without `expect` are judged only on
    situation fit: `python -m bench.search_quality`, tests/search_eval/metrics.py.)"""
    outcomes = []
    for item in load_queries(path):
        if not item.get("expect"):
            continue
        args = {"q": item["q"], "per_page": "3"}
        if item.get("municipality"):
            args["municipality"] = item["municipality"]
        results = find_offers(parse_offer_query(args, item["lang"]))
        outcomes.append(Outcome(item["q"], item["lang"], item.get("municipality"),
                                item["expect"], [o.slug for o in results.items]))
    return outcomes


def share(outcomes: list[Outcome], measure: str = "hit") -> float:
    return sum(getattr(o, measure) for o in outcomes) / len(outcomes)


def report(outcomes: list[Outcome], name: str = "tuned", misses: bool = True) -> str:
    lines = []
    for lang in ("da", "en", None):
        subset = [o for o in outcomes if lang is None or o.lang == lang]
        label = {"da": "Danish", "en": "English", None: "All"}[lang]
        lines.append(f"{name:9} {label:8} top-1: {sum(o.first for o in subset):3}/"
                     f"{len(subset)} = {share(subset, 'first'):6.1%}   top-3: "
                     f"{sum(o.hit for o in subset):3}/{len(subset)} = {share(subset):6.1%}")
    wrong = [o for o in outcomes if not o.hit]
    if misses and wrong:
        lines.append("Misses:")
        lines += [f"  [{o.lang}] {o.q!r} ({o.municipality or 'all'}) expected {o.expect}, "
                  f"got {o.top3}" for o in wrong]
    return "\n".join(lines)


def full_report() -> str:
    """Both sets; the held-out set's misses are not listed (they must not guide tuning)."""
    return "\n".join(report(evaluate(path), name, misses=(name == "tuned"))
                     for name, path in SETS.items())


if __name__ == "__main__":
    from portal import create_app

    with create_app().test_request_context():
        print(full_report())
