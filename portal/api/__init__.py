"""The versioned JSON API (`/api/v1`): a contract the assistant and others build on.

Breaking changes go to a new version; v1 only ever gains fields.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from portal.api import offers, openapi  # noqa: E402,F401  (routes register on import)
