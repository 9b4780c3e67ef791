"""Which offers fit: the one place for the catalogue's rules.

Web views, the JSON API, the CLI and (over the API) the assistant all call these
functions. Query parameters are parsed here too, so the web and the API reject the
same bad input with the same message.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.catalogue.models import Area, ContentState, Offer, Situation
from portal.catalogue.search import Document, SearchIndex
from portal.content.schema import SLUG_PATTERN
from portal.extensions import db

ACCESS_VALUES = ("open", "self", "referral")
AUDIENCES = ("citizens", "relatives")
LANGS = ("da", "en")
MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
DEFAULT_PER_PAGE = 20
# How often a worker looks whether the content was reloaded (one tiny query).
FINGERPRINT_CHECK_SECONDS = 5.0


class QueryError(ValueError):
    """A parameter the citizen (or an API client) got wrong, with a message for them."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class OfferQuery:
    q: str = ""
    municipality: str | None = None
    situation: str | None = None
    access: frozenset[str] = frozenset()
    anonymous: bool = False
    virtual: bool = False
    audience: str | None = None
    lang: str = "da"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def filtered(self) -> bool:
        return bool(self.municipality or self.situation or self.access or self.anonymous
                    or self.virtual or self.audience)


@dataclass
class OfferResults:
    query: OfferQuery
    items: list[Offer]
    total: int
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


# --- parameters ---------------------------------------------------------------------


def parse_offer_query(args: Mapping[str, str], lang: str) -> OfferQuery:
    """Turn request parameters into an `OfferQuery`, or raise `QueryError`."""
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise QueryError("q", _("The search text is too long (at most %(n)d characters).",
                                n=MAX_QUERY_LENGTH))
    municipality = (args.get("municipality") or "").strip() or None
    if municipality and municipality not in _municipality_slugs():
        raise QueryError("municipality", _("We do not know the municipality “%(value)s”.",
                                           value=municipality))
    situation = (args.get("situation") or "").strip() or None
    if situation and situation not in _situation_slugs():
        raise QueryError("situation", _("We do not know the life situation “%(value)s”.",
                                        value=situation))
    access = frozenset(v.strip() for v in (args.get("access") or "").split(",") if v.strip())
    unknown = access - set(ACCESS_VALUES)
    if unknown:
        raise QueryError("access", _("“access” must be one or more of: open, self, referral."))
    audience = (args.get("audience") or "").strip() or None
    if audience and audience not in AUDIENCES:
        raise QueryError("audience", _("“audience” must be citizens or relatives."))
    return OfferQuery(
        q=q,
        municipality=municipality,
        situation=situation,
        access=access,
        anonymous=_flag(args, "anonymous"),
        virtual=_flag(args, "virtual"),
        audience=audience,
        lang=lang,
        page=_positive_int(args, "page", 1, MAX_PAGE),
        per_page=_positive_int(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    )


def parse_lang(value: str | None, default: str = "da") -> str:
    if not value:
        return default
    if value not in LANGS:
        raise QueryError("lang", _("“lang” must be da or en."))
    return value


def _flag(args: Mapping[str, str], name: str) -> bool:
    value = (args.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise QueryError(name, _("“%(name)s” must be 1 or 0.", name=name))


def _positive_int(args: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    # ASCII digits only: str.isdigit() also accepts "²" and "٣", and int() refuses very
    # long digit strings; both would otherwise fail as server errors or odd pages.
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
    if value < 1 or (maximum and value > maximum):
        if maximum:
            raise QueryError(name, _("“%(name)s” must be a whole number from 1 to %(max)d.",
                                     name=name, max=maximum))
        raise QueryError(name, _("“%(name)s” must be a whole number of 1 or more.", name=name))
    return value


# --- reading the catalogue ----------------------------------------------------------


def could_be_slug(value: str) -> bool:
    """Anything else cannot be in the catalogue, and must not reach the database: a NUL
    character (from a URL or a cookie) is an error in PostgreSQL, not just no match."""
    return len(value) <= 80 and re.fullmatch(SLUG_PATTERN, value) is not None


def get_offer(slug: str) -> Offer | None:
    """The offer, fully loaded, from the per-process index (no query per page view)."""
    if not could_be_slug(slug):
        return None
    return current_index().offers_by_slug.get(slug)


def list_municipalities() -> list[Area]:
    """Municipalities by Danish name, each with its texts and region (from the index)."""
    return current_index().municipalities


def get_municipality(slug: str | None) -> Area | None:
    """A municipality by slug; every page asks (the chosen one), so no query."""
    if not slug or not could_be_slug(slug):
        return None
    return current_index().municipalities_by_slug.get(slug)


def list_situations() -> list[Situation]:
    """The life situations in their order, each with its texts (from the index: the
    home page and every search page list them)."""
    return current_index().situations


def get_situation(slug: str | None) -> Situation | None:
    if not slug or not could_be_slug(slug):
        return None
    return current_index().situations_by_slug.get(slug)


def find_offers(query: OfferQuery) -> OfferResults:
    """The offers that fit `query`, best first, one page of them.

    The offers come from the per-process index (loaded once, detached from any session),
    so a search costs no database query; see `build_index`.
    """
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


def _offer_loading():
    return (
        selectinload(Offer.texts),
        selectinload(Offer.area).selectinload(Area.texts),
        selectinload(Offer.area).selectinload(Area.region).selectinload(Area.texts),
        selectinload(Offer.situations).selectinload(Situation.texts),
    )


# --- the search index, cached per process -------------------------------------------


class CatalogueIndex(SearchIndex):
    """The search index plus what filtering, default ordering and result pages need.

    `offers` holds every offer fully loaded (texts, area, region, situations) and
    detached from its session: read-only, shared by the worker's threads. The same goes
    for the municipalities and the life situations.
    """

    def __init__(self, documents: list[Document], offers: dict[int, Offer],
                 areas_serving: dict[str, set[int]], default_order: dict[int, int],
                 municipalities: list[Area], situations: list[Situation]) -> None:
        super().__init__(documents)
        self.offers = offers
        self.offers_by_slug = {offer.slug: offer for offer in offers.values()}
        self.default_order = default_order
        self.default_ids = sorted(offers, key=default_order.__getitem__)
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
    state = db.session.get(ContentState, 1)
    key = (db.engine.url.render_as_string(), state.fingerprint if state else "")
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
    # Its own session: the offers outlive the request that happened to build the index.
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

    documents = []
    for offer in offers:
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
        documents.append(Document(
            offer_id=offer.id, area_id=offer.area_id, access=offer.access,
            anonymous=offer.anonymous, virtual=offer.virtual, for_relatives=offer.for_relatives,
            situations=frozenset(s.slug for s in offer.situations), fields=fields, phrases=phrases,
        ))
    # Without a search text: local offers before regional ones, then by Danish title.
    ordered = sorted(offers, key=lambda o: (o.area.kind != "municipality", o.text("da").title))
    return CatalogueIndex(
        documents, {o.id: o for o in offers}, areas_serving,
        {o.id: i for i, o in enumerate(ordered)},
        sorted((a for a in areas if a.kind == "municipality"), key=lambda a: a.text("da").name),
        list(situations),
    )


def _municipality_slugs() -> set[str]:
    return current_index().municipality_slugs


def _situation_slugs() -> set[str]:
    return current_index().situation_slugs


def warm_up(app) -> None:
    """Build the index before the first request (a gunicorn worker calls this), so no
    citizen waits seconds for the first search. A missing database only logs: the
    index is then built on the first search, as without warm-up."""
    with app.app_context():
        try:
            current_index()
        except Exception as exc:  # noqa: BLE001 - start serving anyway
            app.logger.warning("Search index not built at start: %s", exc)
