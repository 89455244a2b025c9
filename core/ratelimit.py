"""Rate limits with the ``limits`` library: in memory for one process, Redis for several.

Every limited response carries ``RateLimit-Limit``/``-Remaining``/``-Reset`` for the tightest
limit the request met; a request over a limit is ``429 rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import functools
import logging
import math
import time

import limits
from flask import Flask, Response, current_app, g, request
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from core.config import RateLimitSettings
from core.errors import ApiError

log = logging.getLogger("annex.ratelimit")


@functools.lru_cache(maxsize=256)
def parse_limit(text: str) -> limits.RateLimitItem:
    """``"5/minute"`` → a RateLimitItem (cached: limits are few and parsed on every request)."""
    return limits.parse(text)


class Limiter:
    """Counts hits per (limit name, key) in the configured storage."""

    def __init__(self, settings: RateLimitSettings):
        self.enabled = settings.enabled
        self.default = settings.default
        self.storage_uri = settings.storage
        storage = storage_from_string(settings.storage, key_prefix=settings.key_prefix)
        self._strategy = SlidingWindowCounterRateLimiter(storage)

    @property
    def shared(self) -> bool:
        """Whether counters are shared between processes (not kept in this process's memory)."""
        return not self.storage_uri.startswith("memory://")

    def hit(self, name: str, limit: str, *key: str) -> bool:
        """Count one hit; False when the limit is exceeded. Headers are recorded for the response."""
        if not self.enabled:
            return True
        item = parse_limit(limit)
        try:
            allowed = self._strategy.hit(item, name, *key)
            stats = self._strategy.get_window_stats(item, name, *key)
        except Exception:
            # Fail open: a limiter outage must not take the site down with it.
            log.exception("rate limit storage %s failed; request allowed", self.storage_uri)
            return True
        _record(item.amount, stats.remaining, stats.reset_time)
        return allowed

    def test(self, name: str, limit: str, *key: str) -> bool:
        """Whether one more hit would be allowed, without counting it."""
        if not self.enabled:
            return True
        try:
            return self._strategy.test(parse_limit(limit), name, *key)
        except Exception:
            log.exception("rate limit storage %s failed; request allowed", self.storage_uri)
            return True

    def clear(self, name: str, limit: str, *key: str) -> None:
        """Forget the hits counted for one key (e.g. failed logins after a success)."""
        if self.enabled:
            self._strategy.clear(parse_limit(limit), name, *key)


def rate_limiter() -> Limiter:
    """The current app's Limiter."""
    return current_app.extensions["annex"].limiter


def check_rate_limit(name: str, limit: str, *key: str) -> None:
    """Count a hit against ``limit`` for ``key``; raise ``429 rate_limited`` when exceeded."""
    limiter = rate_limiter()
    if not limiter.hit(name, limit, *key):
        raise rate_limited()


def rate_limited() -> ApiError:
    state = g.get("_annex_ratelimit")
    retry = max(1, math.ceil(state[2] - time.time())) if state else 60
    return ApiError(
        429, "rate_limited", "too many requests, retry later", headers={"Retry-After": str(retry)}
    )


def client_ip() -> str:
    """The client's address: the socket peer, or what trusted proxies reported (ProxyFix)."""
    return request.remote_addr or "unknown"


def _record(amount: int, remaining: int, reset_time: float) -> None:
    """Keep the tightest limit seen in this request for the RateLimit-* headers."""
    current = g.get("_annex_ratelimit")
    if current is None or remaining < current[1]:
        g._annex_ratelimit = (amount, max(0, remaining), reset_time)


def init_app(app: Flask) -> None:
    @app.before_request
    def _default_limit() -> None:
        limiter = app.extensions["annex"].limiter
        if (
            limiter.enabled
            and request.path.startswith("/api")
            and request.method != "OPTIONS"
            and not limiter.hit("default", limiter.default, client_ip())
        ):
            raise rate_limited()

    @app.after_request
    def _headers(response: Response) -> Response:
        state = g.get("_annex_ratelimit")
        if state is not None:
            amount, remaining, reset_time = state
            response.headers["RateLimit-Limit"] = str(amount)
            response.headers["RateLimit-Remaining"] = str(remaining)
            response.headers["RateLimit-Reset"] = str(max(0, math.ceil(reset_time - time.time())))
        return response
