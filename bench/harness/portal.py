"""Every import from the portal, in one place: when its modules move, this is the fix.

Imported lazily by the harness (in-process profiling, wiping a PostgreSQL schema), so
the benchmarks start without loading the portal.
"""

from __future__ import annotations

from portal import create_app
from portal.catalogue.index import current_index, reset_index_cache
from portal.catalogue.query import parse_offer_query
from portal.catalogue.service import _passes as passes_filters
from portal.catalogue.service import find_offers
from portal.config import _normalise_db_url as normalise_db_url

__all__ = ["create_app", "current_index", "find_offers", "normalise_db_url",
           "parse_offer_query", "passes_filters", "reset_index_cache"]
