"""The catalogue's pages: home, search, an offer, and choosing a municipality.

The chosen municipality is remembered in a cookie and set as `g.municipality` for
every page (other areas' pages read it from there, as flaskr's blog reads `g.user`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from portal.booking import service as booking
from portal.catalogue import service
from portal.catalogue.query import MAX_QUERY_LENGTH, OfferQuery, parse_offer_query
from portal.core.api import PREFIX as API_PREFIX
from portal.core.api.models import BadParameter
from portal.core.i18n import route

bp = Blueprint("catalogue", __name__)
MUNICIPALITY_COOKIE = "kommune"
ONE_YEAR = 365 * 24 * 3600


@bp.before_app_request
def remember_municipality() -> None:
    if request.path.startswith(("/static/", "/dkfds/", API_PREFIX + "/")):
        return
    g.municipality = service.get_municipality(request.cookies.get(MUNICIPALITY_COOKIE))


def _chosen_slug() -> str | None:
    return g.municipality.slug if g.get("municipality") else None


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
    if "municipality" not in args and _chosen_slug():
        args["municipality"] = _chosen_slug()  # the remembered choice, until changed
    error = None
    try:
        query = parse_offer_query(args, lang)
    except BadParameter as exc:
        error = exc
        query = OfferQuery(q=args.get("q", "")[:MAX_QUERY_LENGTH], lang=lang)
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
    return render_template("catalogue/offer.html", offer=item, text=item.text(lang),
                           meanwhile=service.open_offers_meanwhile(item, lang, _chosen_slug()),
                           bookable=booking.is_bookable(item.id))


@route(bp, {"da": "/kommune", "en": "/en/municipality"}, methods=["POST"])
def choose_municipality(lang: str):
    slug = request.form.get("municipality", "")
    target = _local(request.form.get("next")) or url_for("catalogue.search", lang=lang)
    response = make_response(redirect(target, 303))
    if slug and service.get_municipality(slug) is not None:
        response.set_cookie(MUNICIPALITY_COOKIE, slug, max_age=ONE_YEAR, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    else:  # "all municipalities" (or an unknown value): forget the choice
        response.delete_cookie(MUNICIPALITY_COOKIE)
    return response


def _local(url: str | None) -> str | None:
    """Only same-site paths, so the form cannot be used to redirect elsewhere."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return None
    return url
