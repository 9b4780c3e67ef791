"""The catalogue's per-process index: every offer, place and situation, loaded once.

Pages, the API and the search read the catalogue from here, not from the database:
`current_index()` builds it from the database on first use and rebuilds it when the
loaded content's fingerprint changes (`flask content load`), checked at most every
`FINGERPRINT_CHECK_SECONDS`. The objects are detached from any session and read-only,
shared by a worker's threads.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.catalogue.models import Area, Offer, Situation
from portal.catalogue.search import (
    Document,
    OfferKeywords,
    SearchIndex,
    SituationMatcher,
    SituationVocabulary,
)
from portal.core.extensions import db
from portal.core.models import content_fingerprint

# How often a worker looks whether the content was reloaded (one tiny query).
FINGERPRINT_CHECK_SECONDS = 5.0


class CatalogueIndex(SearchIndex):
    """The search index plus what filtering, default ordering and result pages need.

    `offers` holds every offer fully loaded (texts, area, region, situations) and
    detached from its session: read-only, shared by the worker's threads. The same goes
    for the municipalities and the life situations. A retired offer (gone from content
    but with bookings) is in `offers`, for its bookings, but nowhere a citizen finds it.
    """

    def __init__(self, documents: list[Document], offers: dict[int, Offer],
                 areas_serving: dict[str, set[int]], default_order: dict[int, int],
                 municipalities: list[Area], situations: list[Situation]) -> None:
        super().__init__(documents)
        self.offers = offers
        self.offers_by_slug = {o.slug: o for o in offers.values() if not o.retired}
        self.default_order = default_order
        self.default_ids = sorted(default_order, key=default_order.__getitem__)
        # A municipality's offers: its own and its region's.
        self.documents_for = {
            slug: [doc for doc in documents if doc.area_id in area_ids]
            for slug, area_ids in areas_serving.items()
        }
        self.municipalities = municipalities
        self.municipalities_by_slug = {area.slug: area for area in municipalities}
        self.municipality_slugs = set(self.municipalities_by_slug)
        self.situations = situations
        self.situations_by_slug = {situation.slug: situation for situation in situations}
        self.situation_slugs = set(self.situations_by_slug)
        self.documents_by_id = {doc.offer_id: doc for doc in documents}
        # A broad situation's narrower ones ("alcohol": {"young-substances"}).
        self.narrower: dict[str, set[str]] = defaultdict(set)
        for situation in situations:
            for broader in situation.part_of:
                self.narrower[broader].add(situation.slug)
        # Where each area is: a municipality's position; a region's, its municipalities'.
        self.positions: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for area in municipalities:
            if area.latitude is not None and area.longitude is not None:
                self.positions[area.id].append((area.latitude, area.longitude))
                if area.region_id is not None:
                    self.positions[area.region_id].append((area.latitude, area.longitude))
        self.situation_matcher = SituationMatcher(
            situation_vocabularies(situations),
            offer_keywords([offers[d.offer_id] for d in documents]), self.expand,
            self._vocabulary_set.__contains__)


    def distance_km(self, municipality: Area, area: Area) -> float | None:
        """About how far `area` (a municipality, or a region's nearest municipality) is
        from the municipality, as the crow flies; None without positions."""
        here = self.positions.get(municipality.id)
        there = self.positions.get(area.id)
        if not here or not there:
            return None
        return min(_haversine_km(here[0], point) for point in there)


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass
class _IndexCache:
    """One app's index (a process normally has one app; the tests have several)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    key: tuple[str, str] | None = None
    index: CatalogueIndex | None = None
    checked: float = 0.0


def _index_cache() -> _IndexCache:
    cache = current_app.extensions.get("catalogue_index")
    if cache is None:
        cache = current_app.extensions.setdefault("catalogue_index", _IndexCache())
    return cache


def current_index() -> CatalogueIndex:
    """The index for the loaded content; rebuilt when `flask content load` changed it."""
    cache = _index_cache()
    now = time.monotonic()
    index = cache.index
    if index is not None and now - cache.checked < FINGERPRINT_CHECK_SECONDS:
        return index
    key = (db.engine.url.render_as_string(), content_fingerprint(db.session))
    with cache.lock:
        if cache.key != key or cache.index is None:
            gc.unfreeze()
            cache.index = None
            cache.index = build_index()
            cache.key = key
            # The index lives as long as the process: keep the collector from walking
            # its hundreds of thousands of objects on every collection.
            gc.collect()
            gc.freeze()
        cache.checked = now
        return cache.index


def reset_index_cache() -> None:
    """Forget the current app's index: the next request builds it from the database."""
    cache = _index_cache()
    with cache.lock:
        cache.key, cache.index, cache.checked = None, None, 0.0


def build_index() -> CatalogueIndex:
    """The index from the database, in its own session: the offers outlive the request
    that happened to build the index."""
    with Session(db.engine) as session:
        offers = session.scalars(select(Offer).options(*_offer_loading())).all()
        areas = session.scalars(
            select(Area).options(selectinload(Area.texts),
                                 selectinload(Area.region).selectinload(Area.texts))).all()
        situations = session.scalars(
            select(Situation).order_by(Situation.position)
            .options(selectinload(Situation.texts))).all()
        session.expunge_all()

    areas_serving: dict[str, set[int]] = {}
    for area in areas:
        if area.kind == "municipality":
            areas_serving[area.slug] = {area.id} | ({area.region_id} if area.region_id else set())

    listed = [offer for offer in offers if not offer.retired]
    documents = [offer_document(offer) for offer in listed]
    # Without a search text: local offers before regional ones, then by Danish title.
    ordered = sorted(listed, key=lambda o: (o.area.kind != "municipality", o.text("da").title))
    return CatalogueIndex(
        documents, {o.id: o for o in offers}, areas_serving,
        {o.id: i for i, o in enumerate(ordered)},
        sorted((a for a in areas if a.kind == "municipality"), key=lambda a: a.text("da").name),
        list(situations),
    )


def offer_document(offer: Offer) -> Document:
    """What the search knows of an offer: its texts in every language as weighted
    fields, and the everyday words of its life situations."""
    fields: dict[str, list[str]] = {
        "title": [], "summary": [], "keywords": [], "body": [],
        "situation_name": [], "situation_terms": [],
    }
    phrases: list[tuple[str, float]] = []
    for text in offer.texts:
        fields["title"].append(text.title)
        fields["summary"].append(text.summary)
        fields["keywords"].extend(text.keywords)
        fields["body"] += [text.description, text.for_whom, text.what_happens,
                           text.provider, offer.area.text(text.lang).name]
        phrases += [(k, 1.0) for k in text.keywords]
    for situation in offer.situations:
        for stext in situation.texts:
            fields["situation_name"].append(stext.name)
            fields["situation_terms"].extend(stext.terms)
            phrases += [(t, 0.8) for t in stext.terms]
    return Document(
        offer_id=offer.id, area_id=offer.area_id, access=offer.access,
        anonymous=offer.anonymous, virtual=offer.virtual, for_relatives=offer.for_relatives,
        situations=frozenset(s.slug for s in offer.situations), fields=fields, phrases=phrases,
    )


def situation_vocabularies(situations: list[Situation]) -> list[SituationVocabulary]:
    """Each situation's names and everyday terms in every language, and the broader
    situations it is part of."""
    return [SituationVocabulary(s.slug, [t.name for t in s.texts],
                                [term for t in s.texts for term in t.terms], list(s.part_of))
            for s in situations]


def offer_keywords(offers: list[Offer]) -> list[OfferKeywords]:
    """Each offer's keywords in every language, with the situations it serves."""
    return [OfferKeywords(frozenset(s.slug for s in offer.situations),
                          tuple(k for text in offer.texts for k in text.keywords))
            for offer in offers]


def _offer_loading():
    return (
        selectinload(Offer.texts),
        selectinload(Offer.area).selectinload(Area.texts),
        selectinload(Offer.area).selectinload(Area.region).selectinload(Area.texts),
        selectinload(Offer.situations).selectinload(Situation.texts),
    )


def warm_up(app) -> None:
    """Build the index before the first request (a gunicorn worker calls this), so no
    citizen waits seconds for the first search. A missing database only logs: the
    index is then built on the first search, as without warm-up."""
    with app.app_context():
        try:
            current_index()
        except Exception as exc:  # noqa: BLE001 - start serving anyway
            app.logger.warning("Search index not built at start: %s", exc)
