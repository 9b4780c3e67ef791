"""Offers, municipalities and life situations as JSON."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from portal.api import bp
from portal.catalogue import service
from portal.catalogue.models import Area, Offer


@bp.errorhandler(service.QueryError)
def bad_parameter(error: service.QueryError):
    return jsonify(error="bad_parameter", parameter=error.param, message=error.message), 400


@bp.get("/offers")
def offers():
    lang = service.parse_lang(request.args.get("lang"))
    query = service.parse_offer_query(request.args, lang)
    results = service.find_offers(query)
    return jsonify(
        items=[offer_summary(o, lang, results.scores.get(o.id)) for o in results.items],
        total=results.total,
        page=query.page,
        per_page=query.per_page,
    )


@bp.get("/offers/<slug>")
def offer(slug: str):
    lang = service.parse_lang(request.args.get("lang"))
    item = service.get_offer(slug)
    if item is None:
        return jsonify(error="not_found", message=_("There is no offer “%(slug)s”.",
                                                    slug=slug)), 404
    text = item.text(lang)
    return jsonify({
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
        "last_checked": item.last_checked.isoformat(),
        "referral_path": referral_path(item, lang),
    })


@bp.get("/municipalities")
def municipalities():
    lang = service.parse_lang(request.args.get("lang"))
    return jsonify(items=[area_json(m, lang) for m in service.list_municipalities()])


@bp.get("/situations")
def situations():
    lang = service.parse_lang(request.args.get("lang"))
    return jsonify(items=[
        {"slug": s.slug, "name": s.text(lang).name, "description": s.text(lang).description}
        for s in service.list_situations()
    ])


def offer_summary(offer: Offer, lang: str, score: float | None = None) -> dict:
    text = offer.text(lang)
    data = {
        "slug": offer.slug,
        "title": text.title,
        "summary": text.summary,
        "url": url_for("catalogue.offer", lang=lang, slug=offer.slug, _external=True),
        "municipality": area_json(offer.area, lang),
        "access": offer.access,
        "anonymous": offer.anonymous,
        "virtual": offer.virtual,
        "channels": offer.channels,
        "situations": [s.slug for s in offer.situations],
        "audiences": [a for a, on in (("citizens", offer.for_citizens),
                                      ("relatives", offer.for_relatives)) if on],
        "last_checked": offer.last_checked.isoformat(),
    }
    if score is not None:
        data["relevance"] = score
    return data


def area_json(area: Area, lang: str) -> dict:
    data = {"slug": area.slug, "name": area.text(lang).name, "kind": area.kind}
    if area.region is not None:
        data["region"] = {"slug": area.region.slug, "name": area.region.text(lang).name}
    return data


def referral_path(offer: Offer, lang: str) -> dict | None:
    """For referred offers: where the way in starts (the one-entrance intake)."""
    if not offer.needs_referral:
        return None
    from portal.web.guidance import page_url

    url = page_url("intake", lang)
    return {"kind": "one-entrance-intake", "url": url and request.host_url.rstrip("/") + url}

