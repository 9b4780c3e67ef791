"""The JSON API (`/api/v1`): how endpoints are declared, their errors, the document, the clients.

Each area declares its endpoints in its own `api.py`: `@spec.validate(query=..., resp=...)`
with pydantic models. That one declaration validates the request (a bad parameter is a
400 naming it, in the asked language), serialises the response (views return model
instances) and produces `/api/v1/openapi.json`. spectree does this on plain Flask views
and blueprints, with the pydantic models the content files already use (see README, API).

Clients: anyone may read the catalogue, within a per-address rate limit. Server-to-server
clients (the assistant's action server) send `Authorization: Bearer <token>` with a
token from the environment (`PORTAL_API_TOKEN`); they are not rate limited, and a wrong
token is refused (401) rather than treated as anonymous.

Breaking changes go to a new version; v1 only ever gains fields.
"""

from __future__ import annotations

import copy
import hmac
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from spectree import Response, SpecTree
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized

from portal.core.i18n import DEFAULT, LANGUAGES, Language
from portal.core.ratelimit import RateLimiter
from portal.core.security import public_cache

PREFIX = "/api/v1"
TOKEN_SCHEME = "serviceToken"


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str) -> Any:
    """A field left out of the JSON (not null) when it has no value: declare it as
    `name: T | SkipJsonSchema[None] = absent("...")` in an `ApiModel`."""
    return Field(None, description=description, json_schema_extra=_no_default)


class ApiModel(BaseModel):
    """A response body. Fields declared with `absent()` are left out when None."""

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, handler: Any):  # unannotated: keeps the model's schema
        data = handler(self)
        for name in _absent_fields(type(self)):
            if data.get(name, 0) is None:
                del data[name]
        return data


@cache
def _absent_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, info in model.model_fields.items()
                 if info.json_schema_extra is _no_default)


class ApiError(ApiModel):
    """Every error of the API: a code for programs, a message for people."""

    error: str = Field(description="A stable code, e.g. bad_parameter, not_found.")
    message: str = Field(description="For people, in the asked language.")
    parameter: str | SkipJsonSchema[None] = absent(
        "With bad_parameter: the first parameter that is wrong.")
    errors: dict[str, str] | SkipJsonSchema[None] = absent(
        "With bad_parameter: every wrong parameter and what is wrong.")


class BadParameter(ValueError):
    """Parameters a person or a client got wrong, each with a message for them."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        self.param, self.message = next(iter(self.errors.items()))
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        return {"error": "bad_parameter", "parameter": self.param, "message": self.message,
                "errors": self.errors}


def invalid(message: str) -> PydanticCustomError:
    """Raise this in a validator: `message` (already in the asked language) is shown."""
    return PydanticCustomError("bad_parameter", "{message}", {"message": message})


def bad_parameters(error: ValidationError) -> BadParameter:
    """A pydantic validation error as the API and the pages report it."""
    found: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "request"
        if name in found:
            continue
        if item["type"] == "bad_parameter":
            found[name] = item["ctx"]["message"]
        elif item["type"] == "missing":
            found[name] = _("“%(name)s” is required.", name=name)
        else:
            found[name] = _("“%(name)s” is not valid.", name=name)
    return BadParameter(found or {"request": _("The request could not be read.")})


class QueryParams(BaseModel):
    """Query parameters: a repeated parameter counts once (its first value), as in Flask."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def first_values(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: (v[0] if isinstance(v, list) and v else v) for k, v in data.items()}
        return data


class LangQuery(QueryParams):
    lang: Language = Field(DEFAULT, description="Language of the texts and URLs.")

    @field_validator("lang", mode="before")
    @classmethod
    def known_language(cls, value: Any) -> str:
        if value in (None, ""):
            return DEFAULT
        if value not in LANGUAGES:
            raise invalid(_("“lang” must be one of: %(values)s.", values=", ".join(LANGUAGES)))
        return value


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
    validation_error_status=400,
    validation_error_model=ApiError,
    before=_raise_bad_parameters,
    # Schemas named as in the code ("OfferSummary"), each model once.
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)

bp = Blueprint("api", __name__, url_prefix=PREFIX)


class OpenApiDocument(RootModel[dict[str, Any]]):
    """The OpenAPI 3.1 document."""


@bp.get("/openapi.json")
@public_cache()
@spec.validate(resp=Response(HTTP_200=OpenApiDocument), tags=["api"])
def openapi():
    """This document"""
    return jsonify(document())


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


# --- clients -------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions["api_limiter"] = RateLimiter(
        app.config["RATELIMIT_STORAGE_URI"], {"api-address": app.config["API_RATE_LIMIT"]})

    @app.before_request
    def identify_client() -> None:
        if request.path.startswith(PREFIX + "/"):
            g.api_client = authenticate(request.headers.get("Authorization"))
            if g.api_client is None:
                limit_anonymous_client()


def authenticate(header: str | None) -> str | None:
    """The name of the server-to-server client whose token `header` carries; None for an
    anonymous request; Unauthorized for a token that is not one of ours."""
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        for name, known in current_app.config["API_TOKENS"].items():
            if known and hmac.compare_digest(token.encode(), known.encode()):
                return name
    raise Unauthorized(www_authenticate=WWWAuthenticate("bearer"))


def limit_anonymous_client() -> None:
    wait = current_app.extensions["api_limiter"].retry_after(
        {"api-address": request.remote_addr or ""})
    if wait is not None:
        raise TooManyRequests(retry_after=wait)
