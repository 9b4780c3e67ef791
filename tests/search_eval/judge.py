"""Run a set of labelled queries through a search and judge what the citizen sees.

`Facts` is what the judging needs to know about a catalogue (each offer's situations,
and which offers a municipality's citizens are shown), read from the portal's own
index, so our search and the PostgreSQL baseline are judged against the same offers.
`judge_ours` asks the portal the way the page's script and the assistant do: over
`GET /api/v1/offers` (its `items`, then its `nearest` list when it has one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from tests.search_eval.metrics import Judged, Shown

HERE = Path(__file__).parent
SETS = {"tuned": HERE / "queries.yml", "held-out": HERE / "held_out.yml"}


def load_set(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def labels(item: dict) -> frozenset[str]:
    """The query's life situations (`situations`; `fits` in older sets)."""
    return frozenset(item.get("situations") or item.get("fits") or ())


@dataclass
class Facts:
    """The catalogue's offers as the judging sees them (citizen-visible offers only)."""

    situations: dict[str, frozenset[str]]  # offer slug -> its situation slugs
    area: dict[str, str]  # offer slug -> its area's slug (a municipality or a region)
    region_of: dict[str, str | None]  # municipality slug -> its region's slug

    @classmethod
    def of(cls, app: Flask) -> Facts:
        from portal.catalogue.index import current_index

        with app.app_context():
            index = current_index()
            offers = index.offers_by_slug.values()
            return cls(
                situations={o.slug: frozenset(s.slug for s in o.situations) for o in offers},
                area={o.slug: o.area.slug for o in offers},
                region_of={m.slug: m.region.slug if m.region else None
                           for m in index.municipalities},
            )

    def serving(self, municipality: str | None) -> list[str]:
        """The offers a municipality's citizens are shown: its own and its region's
        (every offer without a municipality)."""
        if not municipality:
            return list(self.area)
        places = {municipality, self.region_of.get(municipality)}
        return [slug for slug, area in self.area.items() if area in places]

    def any_fits(self, slugs: list[str], wanted: frozenset[str]) -> bool:
        return any(self.situations[s] & wanted for s in slugs)

    def shown(self, slug: str, nearest: bool = False) -> Shown:
        return Shown(slug, self.situations.get(slug, frozenset()), nearest)


def judge(items: list[dict], facts: Facts, search: Callable[[dict], tuple[list[Shown], bool]],
          use_expect: bool = True) -> list[Judged]:
    """Judge `search(item) -> (shown, looks_everywhere)` on each query of a set."""
    judged = []
    everything = list(facts.area)
    for item in items:
        wanted = labels(item)
        shown, everywhere = search(item)
        scope = everything if everywhere else facts.serving(item.get("municipality"))
        judged.append(Judged(
            q=item["q"], lang=item["lang"], municipality=item.get("municipality"),
            situations=wanted, shown=shown,
            fits_in_scope=facts.any_fits(scope, wanted),
            answerable=facts.any_fits(everything, wanted),
            expect=list(item.get("expect") or []) if use_expect else [],
            nothing_here=bool(item.get("nothing_here")),
        ))
    return judged


def _nearest_entries(body: dict[str, Any]) -> list[dict]:
    """The API's `nearest` list, whatever its wrapping (absent: none)."""
    nearest = body.get("nearest")
    if isinstance(nearest, dict):
        nearest = nearest.get("items") or nearest.get("offers") or []
    return [n for n in nearest or [] if isinstance(n, dict) and n.get("slug")]


def ours(app: Flask, facts: Facts) -> Callable[[dict], tuple[list[Shown], bool]]:
    """Our search, asked over the API as the page's script and the assistant ask it."""
    client = app.test_client()

    def search(item: dict) -> tuple[list[Shown], bool]:
        args = {"q": item["q"], "lang": item["lang"]}
        if item.get("municipality"):
            args["municipality"] = item["municipality"]
        response = client.get("/api/v1/offers", query_string=args)
        if response.status_code != 200:
            raise RuntimeError(f"GET /api/v1/offers {args} -> {response.status_code}: "
                               f"{response.get_data(as_text=True)[:300]}")
        body = response.get_json()
        shown = [facts.shown(o["slug"]) for o in body["items"]]
        shown += [facts.shown(o["slug"], nearest=True) for o in _nearest_entries(body)]
        return shown, "nearest" in body

    return search
