"""Choices the portal remembers for the citizen: for now, the municipality."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, request, url_for

from portal.catalogue import service
from portal.i18n import route
from portal.web import MUNICIPALITY_COOKIE

bp = Blueprint("preferences", __name__)
ONE_YEAR = 365 * 24 * 3600


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
