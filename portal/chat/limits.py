"""The chat's rate limits: per conversation, and per address (a library's or an office's
shared address has many visitors), counted with the portal's `RateLimiter`."""

from __future__ import annotations

from portal.core.ratelimit import RateLimiter


class ChatLimiter:
    def __init__(self, storage_uri: str, per_visitor: str, per_address: str) -> None:
        self._limiter = RateLimiter(storage_uri, {"chat-address": per_address,
                                                  "chat-visitor": per_visitor})

    def retry_after(self, visitor: str, address: str) -> int | None:
        """Count one message; None when it may go on, else the seconds to wait."""
        return self._limiter.retry_after({"chat-address": address, "chat-visitor": visitor})
