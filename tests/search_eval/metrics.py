"""The search's measures, one place: what the citizen sees for a query, and how well it fits.

What the citizen sees (`shown`) is the result list of the page and of the API: the
offers of the search (`items`), followed by the nearest fitting offers elsewhere
(`nearest`) when the search gives any. Only its first three count: that is what a
citizen reads before giving up.

An offer *fits* a query when it serves one of the life situations the query is about
(the query's `situations` labels, from its meaning; the offer's situation tags).

Per query, for a system's top 3:

- **recall@1**: the first result fits.
- **recall@3**: a fitting result is among the first three.
- **precision@3**: fitting results in the top 3 / results shown in the top 3 (one
  result shown, and it fits: 1.0). When nothing is shown at all, precision is 1.0 if
  nothing fits anywhere the system may look (its `scope`: for a search that shows
  nearest offers elsewhere, the whole catalogue; else the municipality's own offers and
  its region's, or the whole catalogue without a municipality) — "nothing here" is then
  the right answer — and 0.0 otherwise.
- **off-topic@3**: a result in the top 3 does not fit (the share of queries where the
  citizen sees something that is not for them).
- **top-1 / top-3** (the old measures, only for queries with `expect`): the first
  result, or one of the first three, is one of the expected offers.

The situation measures count only labelled queries (a query without `situations` is
judged on `expect` alone). Recall is averaged over the labelled queries for which some
offer of the catalogue fits (a query no offer anywhere could answer cannot be recalled;
precision and off-topic still count it). Each measure is the mean over the queries it
applies to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

TOP = 3


@dataclass(frozen=True)
class Shown:
    """One result the citizen sees."""

    slug: str
    situations: frozenset[str]
    nearest: bool = False  # from the "nearest elsewhere" list, not the search's own


@dataclass
class Judged:
    """One query and what a system showed for it."""

    q: str
    lang: str
    municipality: str | None
    situations: frozenset[str]
    shown: list[Shown]
    # Some offer within the system's scope fits (decides precision when nothing is shown).
    fits_in_scope: bool
    # Some offer anywhere in the catalogue fits (else recall does not apply).
    answerable: bool = True
    expect: list[str] = field(default_factory=list)
    nothing_here: bool = False  # labelled: no offer of the municipality fits

    @property
    def national(self) -> bool:
        return not self.municipality

    def fits(self, item: Shown) -> bool:
        return bool(item.situations & self.situations)

    @property
    def top(self) -> list[Shown]:
        return self.shown[:TOP]

    @property
    def recall1(self) -> bool:
        return bool(self.shown) and self.fits(self.shown[0])

    @property
    def recall3(self) -> bool:
        return any(self.fits(item) for item in self.top)

    @property
    def precision3(self) -> float:
        if not self.top:
            return 0.0 if self.fits_in_scope else 1.0
        return sum(self.fits(item) for item in self.top) / len(self.top)

    @property
    def off_topic3(self) -> bool:
        return any(not self.fits(item) for item in self.top)

    @property
    def top1(self) -> bool:
        return bool(self.shown) and self.shown[0].slug in self.expect

    @property
    def top3(self) -> bool:
        return any(item.slug in self.expect for item in self.top)


MEASURES = ("recall@1", "recall@3", "precision@3", "off-topic@3", "top-1", "top-3")
# Parts of a set reported on their own.
GROUPS: dict[str, Callable[[Judged], bool]] = {
    "Danish": lambda j: j.lang == "da",
    "English": lambda j: j.lang == "en",
    "national": lambda j: j.national,
    "municipality": lambda j: not j.national,
    "nothing here": lambda j: j.nothing_here,
}


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(judged: Iterable[Judged]) -> dict[str, float | int | None]:
    """The measures over a set of judged queries (None: no query it applies to)."""
    judged = list(judged)
    labelled = [j for j in judged if j.situations]
    answerable = [j for j in labelled if j.answerable]
    with_expect = [j for j in judged if j.expect]
    return {
        "queries": len(judged),
        "labelled": len(labelled),
        "recall@1": _mean([j.recall1 for j in answerable]),
        "recall@3": _mean([j.recall3 for j in answerable]),
        "precision@3": _mean([j.precision3 for j in labelled]),
        "off-topic@3": _mean([j.off_topic3 for j in labelled]),
        "top-1": _mean([j.top1 for j in with_expect]),
        "top-3": _mean([j.top3 for j in with_expect]),
        "with expect": len(with_expect),
    }
