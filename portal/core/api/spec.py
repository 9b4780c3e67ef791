"""The declaration's machinery (one `SpecTree`) and the document it produces."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from flask import Blueprint
from pydantic import RootModel
from spectree import Response, SpecTree

from portal.core.api import PREFIX
from portal.core.api.models import ApiError, bad_parameters
from portal.core.security import public_cache

TOKEN_SCHEME = "serviceToken"


def _raise_bad_parameters(req, resp, error, instance, adapter) -> None:
    """spectree's hook after request validation: our error format, not spectree's."""
    if error is not None:
        raise bad_parameters(error)


spec = SpecTree(
    "flask",
    title="Indgang API",
    version="1.0.0",
    description="Open offers in Danish specialised social services (demonstration "
                "content). v1 only ever gains fields.",
    mode="strict",           # only the endpoints declared with @spec.validate
    annotations=False,
    page_templates={},       # no documentation pages (they load scripts from CDNs)
    path="api/v1/docs",      # unused: the document is served by `openapi` below
    # (spectree leaves out of the document every route under its path)
    validation_error_status=400,
    validation_error_model=ApiError,
    before=_raise_bad_parameters,
    # Schemas named as in the code ("OfferSummary"), each model once.
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)



def declare(*, resp: Response, tags: list[str], query: type | None = None,
            json: type | None = None, headers: type | None = None):
    """Declare an endpoint: its query parameters (and JSON body, headers) and its answers
    per status.

    The view returns plain data (dicts, lists) or a model, and a status; the answer is
    validated against the declared model and serialised by it (what the document says
    is what is sent; a view that answers otherwise is a 500, which the tests catch).
    """
    return spec.validate(query=query, json=json, headers=headers, resp=resp, tags=tags,
                         force_resp_serialize=True)


bp = Blueprint("api", __name__, url_prefix=PREFIX)


class OpenApiDocument(RootModel[dict[str, Any]]):
    """The OpenAPI 3.1 document."""


@bp.get("/openapi.json")
@public_cache()
@declare(resp=Response(HTTP_200=OpenApiDocument), tags=["api"])
def openapi():
    """This document"""
    return document()


@lru_cache(maxsize=1)
def _document(generated_id: int) -> dict[str, Any]:
    doc = copy.deepcopy(spec.spec)
    # Paths relative to the server URL, as clients read them: "/offers", not "/api/v1/offers".
    doc["paths"] = {path.removeprefix(PREFIX): item for path, item in doc["paths"].items()}
    doc["servers"] = [{"url": PREFIX}]
    doc["components"]["securitySchemes"] = {TOKEN_SCHEME: {
        "type": "http", "scheme": "bearer",
        "description": "Server-to-server clients (the assistant). Optional: without it a "
                       "client is anonymous and rate limited per address."}}
    doc["security"] = [{}, {TOKEN_SCHEME: []}]
    error = {"description": "", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ApiError"}}}}
    for item in doc["paths"].values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {**error, "description": "The token is not valid"})
            responses.setdefault("429", {**error, "description": "Too many requests from "
                                         "this address; see Retry-After"})
            if "400" in responses:
                responses["400"]["description"] = "A parameter is not valid"
    return doc


def document() -> dict[str, Any]:
    """The API's OpenAPI document, built once from the declarations."""
    return _document(id(spec.spec))
