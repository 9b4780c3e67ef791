"""Which offers fit: the one place for the catalogue's rules.

The catalogue's pages, its API, other areas (the guidance pages, the chat) and, over
the API, the assistant all call these functions, so they all give the same answers.
Everything is read from the per-process index (`index.py`): no database query per page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from portal.catalogue.index import CatalogueIndex, current_index
from portal.catalogue.models import Area, Offer, Situation
from portal.catalogue.query import MAX_PER_PAGE, MAX_QUERY_LENGTH, OfferQuery
from portal.catalogue.search import Document, Understanding
from portal.core.slugs import could_be_slug

# Offers elsewhere shown when nothing in the chosen municipality fits.
MAX_NEAREST = 5
# Nearby municipalities count as equally near within steps of this many km, so the best
# fitting offer of two about equally near towns comes first.
DISTANCE_STEP_KM = 50.0
# How much serving the most clearly named situation adds to an offer's score.
SITUATION_BOOST = 1.0
REFERRAL_FACTOR = 0.85
ELSEWHERE_ORDER = {"anyone": 0, "nearby": 1}


@dataclass(frozen=True)
class Elsewhere:
    """An offer outside the chosen municipality, shown because nothing there fits.

    `where`: "anyone" (usable from any municipality) or "nearby" (another
    municipality's offer).
    """

    offer: Offer
    where: Literal["anyone", "nearby"]
    distance_km: float | None = None


@dataclass
class OfferResults:
    query: OfferQuery
    items: list[Offer]
    total: int
    scores: dict[int, float] = field(default_factory=dict)
    # The situations the words name (None without words).
    understood: Understanding | None = None
    # When a municipality is chosen and nothing there fits: the nearest fitting offers
    # elsewhere, at most MAX_NEAREST, best first.
    nearest: list[Elsewhere] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def get_offer(slug: str) -> Offer | None:
    """The offer, fully loaded (texts, area, region, situations)."""
    if not could_be_slug(slug):
        return None
    return current_index().offers_by_slug.get(slug)


def offer_by_id(offer_id: int) -> Offer | None:
    """Any offer by id, a retired one too (for the bookings it still has)."""
    return current_index().offers.get(offer_id)


def list_municipalities() -> list[Area]:
    """Municipalities by Danish name, each with its texts and region."""
    return current_index().municipalities


def get_municipality(slug: str | None) -> Area | None:
    """A municipality by slug (every page asks, for the chosen one)."""
    if not slug or not could_be_slug(slug):
        return None
    return current_index().municipalities_by_slug.get(slug)


def list_situations() -> list[Situation]:
    """The life situations in their order, each with its texts."""
    return current_index().situations


def get_situation(slug: str | None) -> Situation | None:
    if not slug or not could_be_slug(slug):
        return None
    return current_index().situations_by_slug.get(slug)


def understand(words: str) -> Understanding:
    """Which life situations a citizen's words name ("jeg drikker for meget og har
    gæld": alcohol, debt), most likely first, and whether that is confident.

    Danish or English, with or without æ/ø/å, inflected, misspelt or in compounds: the
    words are expanded as the search expands them. Not confident when only broad words
    ("hjælp", "rådgivning") or only offers' keywords point to a situation.
    """
    index = current_index()
    words = words[:MAX_QUERY_LENGTH]
    if not words or not index.has_meaning(words):
        return Understanding()
    return index.situation_matcher.understand(words)


def find_offers(query: OfferQuery) -> OfferResults:
    """The offers that fit `query`, best first, one page of them.

    When the words confidently name life situations, only offers serving them are
    listed (no "respite care" for "gæld"), and with several situations the best offer
    of each comes first. When a municipality is chosen and nothing there fits, the
    nearest fitting offers elsewhere are in `nearest`.
    """
    index = current_index()
    if query.filtered:
        # The municipality narrows most: start from its (precomputed) share of offers.
        pool = (index.documents_for.get(query.municipality, []) if query.municipality
                else index.documents)
        candidates = [doc.offer_id for doc in pool if _passes(doc, query)]
    else:
        candidates = index.default_ids
    understood = understand(query.q) if query.q else None
    if query.q and index.has_meaning(query.q):
        hits = _ranked(index, query.q, understood, candidates)
        ordered = [offer_id for offer_id, _score in hits]
    else:
        hits = []
        ordered = sorted(candidates, key=index.default_order.__getitem__)
    start = (query.page - 1) * query.per_page
    page_ids = ordered[start:start + query.per_page]
    scores = {offer_id: round(score, 3) for offer_id, score in hits[start:start + query.per_page]}
    nearest = (_nearest(index, query, understood)
               if query.municipality and not ordered else [])
    return OfferResults(query, [index.offers[i] for i in page_ids], len(ordered), scores,
                        understood, nearest)


def _fitting(index: CatalogueIndex, understood: Understanding | None) -> frozenset[str] | None:
    """The situations whose offers fit the words: those they confidently name and the
    narrower ones part of them (young people's substance use, for alcohol). None (every
    offer fits) when the words name none with confidence."""
    if understood is None or not understood.confident:
        return None
    named = set(understood.slugs)
    return frozenset(named.union(*(index.narrower.get(slug, ()) for slug in named)))


def _fits(doc: Document, fitting: frozenset[str] | None) -> bool:
    return fitting is None or not doc.situations.isdisjoint(fitting)


def _ranked(index: CatalogueIndex, words: str, understood: Understanding,
            candidates: list[int]) -> list[tuple[int, float]]:
    """The candidates that fit the words, best first; with several named situations
    the best offer of each first (so "drikker for meget og har gæld" shows both).

    An offer outside the named situations is left out even when its own text shares a
    word with the query: its keywords already count towards the situations it serves
    (`SituationMatcher`), so an offer whose own words match strongly gets its
    situation named; what is left is a shared broad word ("anonym", "hjælp").
    """
    docs = index.documents_by_id
    fitting = _fitting(index, understood)
    pool = {i for i in candidates if _fits(docs[i], fitting)}
    hits = index.rank(words, pool)
    weight: dict[str, float] = {}
    if understood.confident:
        # Serving the situation the words name most clearly counts: "snakke anonymt om
        # mit alkoholforbrug" is about alcohol first, talking second.
        top = understood.situations[0][1]
        weight = {slug: score / top for slug, score in understood.situations}
    hits = [(i, score * (1 + SITUATION_BOOST * _focus(docs[i], weight))
             * (REFERRAL_FACTOR if docs[i].access == "referral" else 1.0))
            for i, score in hits]
    hits.sort(key=lambda hit: (-hit[1], hit[0]))
    if not understood.confident or len(understood.situations) < 2:
        return hits
    heads: list[tuple[int, float]] = []
    headed: set[str] = set()
    for slug in understood.slugs:
        serving = [hit for hit in hits if slug in docs[hit[0]].situations and hit not in heads]
        # Rather an offer for this need alone than one already counted for another
        # ("gæld" after "drikker for meget": debt advice, not the drop-in for both).
        head = next((hit for hit in serving if docs[hit[0]].situations.isdisjoint(headed)),
                    serving[0] if serving else None)
        if head is not None:
            heads.append(head)
            headed.add(slug)
    # In the order of the situations, the most clearly named first: "min søn er autist
    # ... hvor kan han bo?" is about the son's disability before the parent's respite.
    return heads + [hit for hit in hits if hit not in heads]


def _focus(doc: Document, weight: dict[str, float]) -> float:
    """How much of what the offer serves the words name (1: only the clearest named
    situation; a broad offer serving six situations scores less than a specific one)."""
    return sum(weight.get(s, 0.0) for s in doc.situations) / len(doc.situations)


def _nearest(index: CatalogueIndex, query: OfferQuery,
             understood: Understanding | None) -> list[Elsewhere]:
    """The best fitting offers outside the chosen municipality: those anyone can use,
    then other municipalities' nearest first. Only for words understood with confidence
    or a chosen life situation: otherwise nothing says what would fit. (The region's own
    offers are never here: a municipality's results already include them.)"""
    confident = understood is not None and understood.confident
    if not (confident or query.situation):
        return []
    here = index.municipalities_by_slug.get(query.municipality or "")
    if here is None:
        return []
    local = {doc.offer_id for doc in index.documents_for.get(here.slug, [])}
    fitting = _fitting(index, understood)
    pool = [doc.offer_id for doc in index.documents
            if doc.offer_id not in local and _passes(doc, query) and _fits(doc, fitting)]
    if query.q and index.has_meaning(query.q):
        hits = index.rank(query.q, set(pool))
    else:
        hits = [(i, 0.0) for i in sorted(pool, key=index.default_order.__getitem__)]
    found = []
    for offer_id, score in hits:
        offer = index.offers[offer_id]
        if offer.open_to_all:
            found.append((Elsewhere(offer, "anyone"), score))
        else:
            found.append((Elsewhere(offer, "nearby", index.distance_km(here, offer.area)),
                          score))

    def order(item: tuple[Elsewhere, float]) -> tuple:
        place, score = item
        step = (math.inf if place.distance_km is None
                else place.distance_km // DISTANCE_STEP_KM)
        return (ELSEWHERE_ORDER[place.where], step if place.where == "nearby" else 0,
                -score, place.offer.slug)

    return [place for place, _score in sorted(found, key=order)[:MAX_NEAREST]]


def _passes(doc: Document, query: OfferQuery) -> bool:
    """The filters other than the municipality (see `CatalogueIndex.documents_for`)."""
    if query.situation and query.situation not in doc.situations:
        return False
    if query.access and doc.access not in query.access:
        return False
    if query.anonymous and not doc.anonymous:
        return False
    if query.virtual and not doc.virtual:
        return False
    return not (query.audience == "relatives" and not doc.for_relatives)


def offers_for_relatives(lang: str, municipality: str | None) -> OfferResults:
    """What exists for relatives, in (or near) the municipality when one is chosen."""
    return find_offers(OfferQuery(audience="relatives", lang=lang, per_page=MAX_PER_PAGE,
                                  municipality=municipality))


OPEN_ACCESS = frozenset({"open", "self"})


def open_offers_meanwhile(offer: Offer, lang: str,
                          chosen_municipality: str | None) -> dict[str, str] | None:
    """For a referred offer: search parameters for open offers to use while the
    referral is decided — the closest fit that has any (same place and situation, same
    place, same situation anywhere), else every open offer. None for an open offer."""
    if not offer.needs_referral:
        return None
    place = offer.area.slug if offer.area.kind == "municipality" else chosen_municipality
    situation = offer.situations[0].slug if offer.situations else None
    for municipality, sit in ((place, situation), (place, None), (None, situation)):
        if municipality is None and sit is None:
            continue
        query = OfferQuery(access=OPEN_ACCESS, lang=lang, municipality=municipality,
                           situation=sit, per_page=1)
        if find_offers(query).total:
            return {"access": "open,self", "municipality": municipality or "",
                    **({"situation": sit} if sit else {})}
    return {"access": "open,self", "municipality": ""}
