"""Home, search and offer pages."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from portal.catalogue import service
from portal.i18n import route

bp = Blueprint("catalogue", __name__)


@route(bp, {"da": "/", "en": "/en/"})
def home(lang: str):
    return render_template(
        "catalogue/home.html",
        situations=service.list_situations(),
        municipalities=service.list_municipalities(),
    )


@route(bp, {"da": "/soeg", "en": "/en/search"})
def search(lang: str):
    args = request.args.to_dict()
    if "municipality" not in args and g.municipality is not None:
        args["municipality"] = g.municipality.slug  # the remembered choice, until changed
    error = None
    try:
        query = service.parse_offer_query(args, lang)
    except service.QueryError as exc:
        error = exc
        query = service.OfferQuery(q=args.get("q", "")[: service.MAX_QUERY_LENGTH], lang=lang)
    results = service.find_offers(query)
    return render_template(
        "catalogue/search.html",
        query=query,
        results=results,
        error=error,
        situations=service.list_situations(),
        municipalities=service.list_municipalities(),
        municipality=service.get_municipality(query.municipality),
        situation=service.get_situation(query.situation),
    ), (400 if error else 200)


@route(bp, {"da": "/tilbud/<slug>", "en": "/en/offers/<slug>"})
def offer(lang: str, slug: str):
    item = service.get_offer(slug)
    if item is None:
        abort(404)
    meanwhile = _open_offers_meanwhile(item, lang) if item.needs_referral else None
    return render_template("catalogue/offer.html", offer=item, text=item.text(lang),
                           meanwhile=meanwhile)


def _open_offers_meanwhile(item, lang: str) -> dict[str, str] | None:
    """Search parameters for open offers to use while a referral is decided: the closest
    fit that has any (same place and situation, same place, same situation anywhere)."""
    place = item.area.slug if item.area.kind == "municipality" else (
        g.municipality.slug if g.municipality else None)
    situation = item.situations[0].slug if item.situations else None
    for municipality, sit in ((place, situation), (place, None), (None, situation)):
        if municipality is None and sit is None:
            continue
        query = service.OfferQuery(access=frozenset({"open", "self"}), lang=lang,
                                   municipality=municipality, situation=sit, per_page=1)
        if service.find_offers(query).total:
            return {"access": "open,self", "municipality": municipality or "",
                    **({"situation": sit} if sit else {})}
    return {"access": "open,self", "municipality": ""}
