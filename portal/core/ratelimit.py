"""Rate limits (the `limits` library: in memory by default, in Redis in production).

A limit that cannot be checked (Redis down) lets the request through: the portal must
keep answering, and an outage of the limit store must not become an outage of the site.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


class RateLimiter:
    """Named limits ("scope" -> "20/minute;300/day"; "" for none), counted per key."""

    def __init__(self, storage_uri: str, limits: Mapping[str, str]) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._limits: dict[str, list[RateLimitItem]] = {
            scope: parse_many(spec) if spec else [] for scope, spec in limits.items()
        }

    def retry_after(self, keys: Mapping[str, str]) -> int | None:
        """Count one hit for each scope's key, in order; None when the request may go on,
        else the seconds to wait (the first limit that is exhausted stops the counting)."""
        try:
            for scope, key in keys.items():
                for item in self._limits.get(scope, []):
                    if not self._limiter.hit(item, scope, key):
                        stats = self._limiter.get_window_stats(item, scope, key)
                        return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:  # a storage outage must not stop the portal
            log.exception("Rate limit could not be checked; letting the request through")
        return None
