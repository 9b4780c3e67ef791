"""The catalogue as JSON: offers, municipalities and life situations (`/api/v1`).

Each endpoint is declared once (`@declare`): its parameters (`query.py`) and its answers
(the models below) are validated, serialised and documented from it. Views build plain
dicts (cheap: a result page has up to 100 offers); the declaration checks and writes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema
from spectree import Response

from portal.booking import service as booking
from portal.catalogue import service
from portal.catalogue.facts import offer_facts
from portal.catalogue.models import Area, Offer
from portal.catalogue.query import OfferSearchParams
from portal.catalogue.search import Understanding
from portal.core.api import PREFIX
from portal.core.api.models import ApiError, LangQuery, absent
from portal.core.api.spec import declare
from portal.core.security import public_cache
from portal.guidance.service import page_url

bp = Blueprint("catalogue_api", __name__, url_prefix=PREFIX)


class Place(BaseModel):
    slug: str
    name: str


class AreaOut(BaseModel):
    slug: str
    name: str
    kind: Literal["municipality", "region"]
    region: Place | SkipJsonSchema[None] = absent("The municipality's region.")


class SituationOut(BaseModel):
    slug: str
    name: str
    description: str


class OfferSummary(BaseModel):
    slug: str
    title: str
    summary: str
    url: str = Field(description="The offer's page in the asked language.")
    municipality: AreaOut = Field(description="Where the offer is: a municipality or a "
                                              "region (which serves its municipalities).")
    access: Literal["open", "self", "referral"] = Field(
        description="open = no referral; self = self-referral; referral = the authority "
                    "decides.")
    anonymous: bool
    virtual: bool
    channels: list[Literal["chat", "video", "phone"]]
    situations: list[str]
    audiences: list[Literal["citizens", "relatives"]]
    last_checked: dt.date
    relevance: float | SkipJsonSchema[None] = absent("How well it fits; only with q.")


class Source(BaseModel):
    file: str = Field(description="A seed document the facts come from.")
    lines: list[tuple[int, int]] = Field(description="Line ranges in it.")


class ReferralPath(BaseModel):
    kind: Literal["one-entrance-intake"]
    url: str | None = Field(description="Where the way in starts, in the asked language.")


class Fact(BaseModel):
    known: bool = Field(description="Whether the catalogue states an answer.")
    text: str = Field(description="The answer, or an honest sentence that the sources do "
                                  "not say, in the asked language.")


class OfferFacts(BaseModel):
    """Answers to the questions people ask about an offer (`catalogue/facts.py`)."""

    price: Fact
    anonymous: Fact
    location: Fact
    opening_hours: Fact
    referral: Fact
    sign_up: Fact
    waiting_time: Fact
    for_whom: Fact


class OfferDetail(OfferSummary):
    description: str
    for_whom: str
    how_to_use: str
    waiting_time: str
    what_happens: str
    provider: str
    contact: str
    legal_basis: str | None
    min_age: int | None
    max_age: int | None
    sources: list[Source]
    referral_path: ReferralPath | None = Field(
        description="For offers that need a referral; null for open offers.")
    booking_url: str | SkipJsonSchema[None] = absent(
        "For offers whose sessions are booked in the portal: the booking page.")
    facts: OfferFacts = Field(description="Answers to the questions people ask about an "
                                          "offer: is it free, can I be anonymous, where, "
                                          "opening hours, referral, how to sign up, waiting "
                                          "time, who it is for.")


class NamedSituation(BaseModel):
    slug: str
    name: str


class Understood(BaseModel):
    situations: list[NamedSituation] = Field(
        description="The life situations the words name, most likely first (empty when "
                    "none).")
    confident: bool = Field(description="Whether the words clearly name them; then items "
                                        "hold only offers serving them.")


class NearestOffer(OfferSummary):
    elsewhere: Literal["anyone", "region", "nearby"] = Field(
        description="anyone = usable from any municipality; nearby = another "
                    "municipality's offer (you may have to live there to use it); region "
                    "= the region's own offer (not given today: a municipality's items "
                    "already include its region's offers).")


class OfferList(BaseModel):
    items: list[OfferSummary] = Field(description="Offers in or for the chosen municipality "
                                                  "(all when none), best first.")
    total: int
    page: int
    per_page: int
    search_url: str = Field(description="The portal's search page with the same search, "
                                        "in the asked language.")
    understood: Understood | SkipJsonSchema[None] = absent(
        "Only with q: the life situations the words name.")
    nearest: list[NearestOffer] = Field(
        description="When a municipality is chosen and no offer there fits: the nearest "
                    "fitting offers elsewhere, at most 5, best fitting first (those anyone "
                    "can use, the region's, then other municipalities' nearest first). "
                    "Empty otherwise.")


class AreaList(BaseModel):
    items: list[AreaOut]


class SituationList(BaseModel):
    items: list[SituationOut]


@bp.get("/offers")
@public_cache()
@declare(query=OfferSearchParams, resp=Response(HTTP_200=OfferList, HTTP_400=ApiError),
               tags=["catalogue"])
def offers():
    """Offers that fit, best first"""
    params: OfferSearchParams = request.context.query
    query = params.to_query()
    results = service.find_offers(query)
    return {
        "items": [offer_summary(o, query.lang, results.scores.get(o.id))
                  for o in results.items],
        "total": results.total,
        "page": query.page,
        "per_page": query.per_page,
        "search_url": url_for("catalogue.search", lang=query.lang, _external=True,
                              **_search_args(params)),
        "understood": understood_out(results.understood, query.lang),
        "nearest": [{**offer_summary(place.offer, query.lang), "elsewhere": place.where}
                    for place in results.nearest],
    }


@bp.get("/offers/<slug>")
@public_cache()
@declare(query=LangQuery,
               resp=Response(HTTP_200=OfferDetail, HTTP_400=ApiError, HTTP_404=ApiError),
               tags=["catalogue"])
def offer(slug: str):
    """One offer"""
    lang = request.context.query.lang
    item = service.get_offer(slug)
    if item is None:
        return {"error": "not_found",
                "message": _("There is no offer “%(slug)s”.", slug=slug)}, 404
    text = item.text(lang)
    booking_url = _absolute(booking.booking_path(item.id, item.slug, lang))
    return {
        **offer_summary(item, lang),
        "description": text.description,
        "for_whom": text.for_whom,
        "how_to_use": text.how_to_use,
        "waiting_time": text.waiting_time,
        "what_happens": text.what_happens,
        "provider": text.provider,
        "contact": text.contact,
        "legal_basis": text.legal_basis,
        "min_age": item.min_age,
        "max_age": item.max_age,
        "sources": item.sources,
        "referral_path": referral_path(item, lang),
        "booking_url": booking_url,
        "facts": offer_facts(item, lang, bookable=booking_url is not None),
    }


@bp.get("/municipalities")
@public_cache()
@declare(query=LangQuery, resp=Response(HTTP_200=AreaList, HTTP_400=ApiError),
               tags=["catalogue"])
def municipalities():
    """Municipalities with their regions"""
    lang = request.context.query.lang
    return {"items": [area_out(m, lang) for m in service.list_municipalities()]}


@bp.get("/situations")
@public_cache()
@declare(query=LangQuery, resp=Response(HTTP_200=SituationList, HTTP_400=ApiError),
               tags=["catalogue"])
def situations():
    """Life situations"""
    lang = request.context.query.lang
    return {"items": [
        {"slug": s.slug, "name": s.text(lang).name, "description": s.text(lang).description}
        for s in service.list_situations()
    ]}


def offer_summary(offer: Offer, lang: str, score: float | None = None) -> dict[str, Any]:
    text = offer.text(lang)
    data = {
        "slug": offer.slug,
        "title": text.title,
        "summary": text.summary,
        "url": url_for("catalogue.offer", lang=lang, slug=offer.slug, _external=True),
        "municipality": area_out(offer.area, lang),
        "access": offer.access,
        "anonymous": offer.anonymous,
        "virtual": offer.virtual,
        "channels": offer.channels,
        "situations": [s.slug for s in offer.situations],
        "audiences": [a for a, on in (("citizens", offer.for_citizens),
                                      ("relatives", offer.for_relatives)) if on],
        "last_checked": offer.last_checked,
    }
    if score is not None:
        data["relevance"] = score
    return data


def understood_out(understood: Understanding | None, lang: str) -> dict[str, Any] | None:
    if understood is None:
        return None
    situations = [service.get_situation(slug) for slug in understood.slugs]
    return {"situations": [{"slug": s.slug, "name": s.text(lang).name}
                           for s in situations if s is not None],
            "confident": understood.confident}


def area_out(area: Area, lang: str) -> dict[str, Any]:
    data = {"slug": area.slug, "name": area.text(lang).name, "kind": area.kind}
    if area.region is not None:
        data["region"] = {"slug": area.region.slug, "name": area.region.text(lang).name}
    return data


def referral_path(offer: Offer, lang: str) -> dict[str, Any] | None:
    """For referred offers: where the way in starts (the one-entrance intake)."""
    if not offer.needs_referral:
        return None
    return {"kind": "one-entrance-intake", "url": page_url("intake", lang, external=True)}


def _absolute(path: str | None) -> str | None:
    return request.host_url.rstrip("/") + path if path else None


def _search_args(params: OfferSearchParams) -> dict[str, Any]:
    """The search page's parameters for the same search (defaults left out)."""
    values = params.model_dump(exclude={"lang"}, exclude_defaults=True)
    return {k: ("1" if v is True else v) for k, v in values.items()}
