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
    return render_template("catalogue/offer.html", offer=item, text=item.text(lang))
