"""Which offers fit: the one place for the catalogue's rules.

The catalogue's pages, its API, other areas (the guidance pages, the chat) and, over
the API, the assistant all call these functions, so they all give the same answers.
Everything is read from the per-process index (`index.py`): no database query per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.catalogue.index import current_index
from portal.catalogue.models import Area, Offer, Situation
from portal.catalogue.query import MAX_PER_PAGE, OfferQuery
from portal.catalogue.search import Document
from portal.core.slugs import could_be_slug


@dataclass
class OfferResults:
    query: OfferQuery
    items: list[Offer]
    total: int
    scores: dict[int, float] = field(default_factory=dict)

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


def find_offers(query: OfferQuery) -> OfferResults:
    """The offers that fit `query`, best first, one page of them."""
    index = current_index()
    if query.filtered:
        # The municipality narrows most: start from its (precomputed) share of offers.
        pool = (index.documents_for.get(query.municipality, []) if query.municipality
                else index.documents)
        candidates = [doc.offer_id for doc in pool if _passes(doc, query)]
    else:
        candidates = index.default_ids
    if query.q and index.has_meaning(query.q):
        hits = index.rank(query.q, set(candidates))
        ordered = [offer_id for offer_id, _score in hits]
    else:
        hits = []
        ordered = sorted(candidates, key=index.default_order.__getitem__)
    start = (query.page - 1) * query.per_page
    page_ids = ordered[start:start + query.per_page]
    scores = {offer_id: round(score, 3) for offer_id, score in hits[start:start + query.per_page]}
    return OfferResults(query, [index.offers[i] for i in page_ids], len(ordered), scores)


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
