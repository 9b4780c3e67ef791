"""Every import from the portal, in one place: when its modules move, this is the fix.

Imported lazily by the harness (in-process profiling, wiping a PostgreSQL schema), so
the benchmarks start without loading the portal.
"""

from __future__ import annotations

from portal import create_app
from portal.booking.models import Booking, ScheduleRule
from portal.booking.slots import Rule, free_slots
from portal.catalogue.index import current_index, reset_index_cache
from portal.catalogue.query import parse_offer_query
from portal.catalogue.service import _passes as passes_filters
from portal.catalogue.service import find_offers, get_offer
from portal.config import _normalise_db_url as normalise_db_url
from portal.core.codes import hash_code, new_code, new_reference
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat.service import open_room
from portal.staff.service import create_member, hash_password

__all__ = ["Booking", "Rule", "ScheduleRule", "create_app", "create_member", "current_index",
           "db", "find_offers", "free_slots", "get_offer", "hash_code", "hash_password",
           "new_code", "new_reference", "normalise_db_url", "open_room", "parse_offer_query",
           "passes_filters", "reset_index_cache", "utcnow"]
