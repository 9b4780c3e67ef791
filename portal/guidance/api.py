"""Guidance pages as JSON: so that clients (the assistant) link to them by key."""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import BaseModel, Field
from spectree import Response

from portal.core.api import PREFIX
from portal.core.api.models import ApiError, LangQuery
from portal.core.api.spec import declare
from portal.core.security import public_cache
from portal.guidance import service

bp = Blueprint("guidance_api", __name__, url_prefix=PREFIX)


class PageSummary(BaseModel):
    key: str = Field(description="Stable: intake (the one-entrance intake), relatives, "
                                 "open-offers, accessibility, privacy, ...")
    title: str
    summary: str
    url: str = Field(description="The page in the asked language.")


class PageList(BaseModel):
    items: list[PageSummary]


@bp.get("/pages")
@public_cache()
@declare(query=LangQuery, resp=Response(HTTP_200=PageList, HTTP_400=ApiError),
               tags=["guidance"])
def pages():
    """Guidance pages"""
    lang = request.context.query.lang
    return {"items": [
        {"key": p.key, "title": p.text(lang).title, "summary": p.text(lang).summary,
         "url": service.page_url(p.key, lang, external=True)}
        for p in service.list_pages()
    ]}
