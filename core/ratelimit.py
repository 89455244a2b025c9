"""Rate limits with the ``limits`` library: memory, or Redis for several instances; named limits
are exact across workers even without Redis (see ``core.ratelimit_storage``).

Every limited response carries ``RateLimit-Limit``/``-Remaining``/``-Reset`` for the tightest
limit the request met; a request over a limit is ``429 rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time

import limits
from flask import Flask, Response, current_app, has_request_context, request
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from sqlalchemy import Engine

from core.config import RateLimitSettings
from core.errors import ApiError, unavailable
from core.ratelimit_storage import DatabaseStorage

log = logging.getLogger("annex.ratelimit")
#: Host bits of an IPv6 address that per-IP limits ignore: a client counts as its /64.
IPV6_CLIENT_BITS = 64


@functools.lru_cache(maxsize=256)
def parse_limit(text: str) -> limits.RateLimitItem:
    """``"5/minute"`` → a RateLimitItem (cached: limits are few and parsed on every request)."""
    return limits.parse(text)


class Limiter:
    """Counts hits per (limit name, key).

    The general per-IP limit (``"default"``) lives in the configured storage. Named limits live
    there too when it is shared (Redis); with ``memory://`` they are counted in the app
    database instead, so that every worker and instance sees the same counts.
    """

    def __init__(self, settings: RateLimitSettings, engine: Engine):
        self.enabled = settings.enabled
        self.default = settings.default
        self.storage_uri = settings.storage
        self.on_storage_error = settings.on_storage_error
        storage = storage_from_string(settings.storage, key_prefix=settings.key_prefix)
        self._general = SlidingWindowCounterRateLimiter(storage)
        self._named = self._general if self.shared else FixedWindowRateLimiter(DatabaseStorage(engine))

    @property
    def shared(self) -> bool:
        """Whether the configured storage is shared between processes (not process memory)."""
        return not self.storage_uri.startswith("memory://")

    def _strategy(self, name: str) -> RateLimiter:
        return self._general if name == "default" else self._named

    def _storage_failed(self, fail_closed: bool) -> bool:
        """What an outage of the counters' storage means: allow (True) or refuse (503)."""
        log.exception("rate limit storage failed (%s)", self.storage_uri)
        deny = self.on_storage_error == "deny" or (self.on_storage_error == "default" and fail_closed)
        if deny:
            raise unavailable("temporarily unavailable, retry later")
        return True

    def hit(self, name: str, limit: str, *key: str, fail_closed: bool = False) -> bool:
        """Count one hit; False when the limit is exceeded. Headers are recorded for the response.

        ``fail_closed`` limits (logins) refuse requests while their storage is down, unless
        ``rate_limits.on_storage_error = "allow"``; others let them through.
        """
        if not self.enabled:
            return True
        item = parse_limit(limit)
        strategy = self._strategy(name)
        try:
            allowed = strategy.hit(item, name, *key)
            stats = strategy.get_window_stats(item, name, *key)
        except Exception:
            return self._storage_failed(fail_closed)
        _record(item.amount, stats.remaining, stats.reset_time)
        return allowed

    def test(self, name: str, limit: str, *key: str, fail_closed: bool = False) -> bool:
        """Whether one more hit would be allowed, without counting it."""
        if not self.enabled:
            return True
        item = parse_limit(limit)
        strategy = self._strategy(name)
        try:
            allowed = strategy.test(item, name, *key)
            if not allowed:  # the response will report this limit
                stats = strategy.get_window_stats(item, name, *key)
                _record(item.amount, stats.remaining, stats.reset_time)
        except Exception:
            return self._storage_failed(fail_closed)
        return allowed

    def clear(self, name: str, limit: str, *key: str) -> None:
        """Forget the hits counted for one key."""
        if self.enabled:
            self._strategy(name).clear(parse_limit(limit), name, *key)


def rate_limiter() -> Limiter:
    """The current app's Limiter."""
    return current_app.extensions["annex"].limiter


def check_rate_limit(name: str, limit: str, *key: str, fail_closed: bool = False) -> None:
    """Count a hit against ``limit`` for ``key``; raise ``429 rate_limited`` when exceeded."""
    if not rate_limiter().hit(name, limit, *key, fail_closed=fail_closed):
        raise rate_limited()


def rate_limited() -> ApiError:
    state = getattr(request, "_annex_ratelimit", None) if has_request_context() else None
    retry = max(1, math.ceil(state[2] - time.time())) if state else 60
    return ApiError(
        429, "rate_limited", "too many requests, retry later", headers={"Retry-After": str(retry)}
    )


def client_ip() -> str:
    """The client's address: the socket peer, or what trusted proxies reported (ProxyFix), in
    its normal text form (``2001:db8::1``; an IPv4-mapped IPv6 address as the IPv4 address).
    This is the address to show (sessions, activity); rate limits count ``client_ip_key()``."""
    return _normalised(request.remote_addr or "unknown")[0]


def client_ip_key() -> str:
    """The client as rate limits count it: an IPv4 address, or the IPv6 /64 network it is in
    (``2001:db8::/64``): one subscriber is handed a whole /64 and may pick any address in it."""
    return _normalised(request.remote_addr or "unknown")[1]


@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> tuple[str, str]:
    """``(address, limit key)`` of an address as the server or a proxy wrote it; text that is
    not an address (a Unix socket's peer) is kept as it is."""
    try:
        address = ipaddress.ip_address(text.removeprefix("[").removesuffix("]"))
    except ValueError:
        return text, text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        return str(address), str(address)
    network = ipaddress.IPv6Network(
        (int(address) >> IPV6_CLIENT_BITS << IPV6_CLIENT_BITS, 128 - IPV6_CLIENT_BITS)
    )
    return str(address), str(network)


def _record(amount: int, remaining: int, reset_time: float) -> None:
    """Keep the tightest limit seen in this request for the RateLimit-* headers (on the request
    object: it lives exactly as long as the request)."""
    if not has_request_context():
        return
    current = getattr(request, "_annex_ratelimit", None)
    if current is None or remaining < current[1]:
        request._annex_ratelimit = (amount, max(0, remaining), reset_time)


def init_app(app: Flask) -> None:
    if not app.extensions["annex"].limiter.enabled:
        return  # nothing is ever counted: no per-request hooks at all

    @app.before_request
    def _default_limit() -> None:
        limiter = app.extensions["annex"].limiter
        if (
            request.path.startswith("/api")
            and request.method != "OPTIONS"
            and not limiter.hit("default", limiter.default, client_ip_key())
        ):
            raise rate_limited()

    @app.after_request
    def _headers(response: Response) -> Response:
        state = getattr(request, "_annex_ratelimit", None)
        if state is not None:
            amount, remaining, reset_time = state
            response.headers["RateLimit-Limit"] = str(amount)
            response.headers["RateLimit-Remaining"] = str(remaining)
            response.headers["RateLimit-Reset"] = str(max(0, math.ceil(reset_time - time.time())))
        return response
