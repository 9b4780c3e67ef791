"""Rate limits for the chat (the `limits` library: memory by default, Redis in production).

A limit that cannot be checked (Redis down) lets the message through: the chat must
keep answering, and the assistant's own rate is bounded by Rasa anyway.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


class ChatLimiter:
    def __init__(self, storage_uri: str, per_visitor: str, per_address: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._per_visitor: list[RateLimitItem] = parse_many(per_visitor) if per_visitor else []
        self._per_address: list[RateLimitItem] = parse_many(per_address) if per_address else []

    def retry_after(self, visitor: str, address: str) -> int | None:
        """Count one message; None when it may go on, else the seconds to wait."""
        checks = [(item, "chat-address", address) for item in self._per_address]
        checks += [(item, "chat-visitor", visitor) for item in self._per_visitor]
        try:
            for item, scope, key in checks:
                if not self._limiter.hit(item, scope, key):
                    stats = self._limiter.get_window_stats(item, scope, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:  # a storage outage must not stop the chat
            log.exception("Chat rate limit could not be checked; letting the message through")
        return None
