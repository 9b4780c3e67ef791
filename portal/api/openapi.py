"""`GET /api/v1/openapi.json`: the contract, kept next to the routes it describes."""

from __future__ import annotations

from flask import jsonify

from portal.api import bp
from portal.catalogue.service import (
    ACCESS_VALUES,
    AUDIENCES,
    LANGS,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
)


def _param(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


LANG = _param("lang", {"type": "string", "enum": list(LANGS), "default": "da"},
              "Language of the texts and URLs.")
ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Indgang API",
        "version": "1.0.0",
        "description": "Open offers in Danish specialised social services (demonstration "
                       "content). Read-only; v1 only ever gains fields.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/offers": {"get": {
            "summary": "Offers that fit, best first",
            "parameters": [
                _param("q", {"type": "string", "maxLength": MAX_QUERY_LENGTH},
                       "The citizen's own words, in Danish or English."),
                _param("municipality", {"type": "string"},
                       "Municipality slug; includes its region's offers."),
                _param("situation", {"type": "string"}, "Life situation slug."),
                _param("access", {"type": "string"},
                       "Comma-separated: " + ", ".join(ACCESS_VALUES)
                       + ". open = no referral; self = self-referral; referral = the "
                         "authority decides."),
                _param("anonymous", {"type": "string", "enum": ["0", "1"]},
                       "1: only offers that can be used anonymously."),
                _param("virtual", {"type": "string", "enum": ["0", "1"]},
                       "1: only offers with online sessions."),
                _param("audience", {"type": "string", "enum": list(AUDIENCES)},
                       "relatives: only offers that also serve relatives."),
                LANG,
                _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                       "Page number; past the last page, items is empty."),
                _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                    "default": 20}, "Items per page."),
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/OfferList"}, "Matching offers"),
                "400": _json(ERROR, "A parameter is invalid"),
            },
        }},
        "/offers/{slug}": {"get": {
            "summary": "One offer",
            "parameters": [
                {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                LANG,
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/OfferDetail"}, "The offer"),
                "400": _json(ERROR, "A parameter is invalid"),
                "404": _json(ERROR, "No offer has that slug"),
            },
        }},
        "/municipalities": {"get": {
            "summary": "Municipalities with their regions",
            "parameters": [LANG],
            "responses": {
                "200": _json({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Area"}},
                }}, "All municipalities"),
                "400": _json(ERROR, "A parameter is invalid"),
            },
        }},
        "/openapi.json": {"get": {
            "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document")},
        }},
        "/situations": {"get": {
            "summary": "Life situations",
            "parameters": [LANG],
            "responses": {
                "200": _json({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {
                        "$ref": "#/components/schemas/Situation"}},
                }}, "All life situations"),
                "400": _json(ERROR, "A parameter is invalid"),
            },
        }},
    },
    "components": {"schemas": {
        "Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string"},
            "message": {"type": "string", "description": "For people, in the asked language."},
            "parameter": {"type": "string"},
        }},
        "Area": {"type": "object", "required": ["slug", "name", "kind"], "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["municipality", "region"]},
            "region": {"type": "object", "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"}}},
        }},
        "Situation": {"type": "object", "required": ["slug", "name"], "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "description": {"type": "string"},
        }},
        "OfferSummary": {"type": "object", "required": [
            "slug", "title", "summary", "url", "municipality", "access", "anonymous",
            "virtual", "situations"], "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "municipality": {"$ref": "#/components/schemas/Area"},
            "access": {"type": "string", "enum": list(ACCESS_VALUES)},
            "anonymous": {"type": "boolean"},
            "virtual": {"type": "boolean"},
            "channels": {"type": "array", "items": {"type": "string"}},
            "situations": {"type": "array", "items": {"type": "string"}},
            "audiences": {"type": "array", "items": {"type": "string"}},
            "last_checked": {"type": "string", "format": "date"},
            "relevance": {"type": "number", "description": "Only when q is given."},
        }},
        "OfferList": {"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/OfferSummary"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        }},
        "OfferDetail": {"allOf": [{"$ref": "#/components/schemas/OfferSummary"}, {
            "type": "object", "properties": {
                "description": {"type": "string"}, "for_whom": {"type": "string"},
                "how_to_use": {"type": "string"}, "waiting_time": {"type": "string"},
                "what_happens": {"type": "string"}, "provider": {"type": "string"},
                "contact": {"type": "string"}, "legal_basis": {"type": ["string", "null"]},
                "min_age": {"type": ["integer", "null"]}, "max_age": {"type": ["integer", "null"]},
                "sources": {"type": "array", "items": {"type": "object"}},
                "referral_path": {"type": ["object", "null"], "properties": {
                    "kind": {"type": "string"}, "url": {"type": ["string", "null"]}}},
            }}]},
    }},
}


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)
