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
import re
import threading
import time
from typing import Any

import limits
from flask import Flask, Response, has_request_context, request
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine

from core.config import RateLimitSettings
from core.errors import ApiError, unavailable
from core.ratelimit_storage import DatabaseStorage
from core.state import app_state, rate_limiter

log = logging.getLogger("annex.ratelimit")
#: Seconds between attempts to reach a counters' storage that failed.
RETRY_INTERVAL = 1.0
#: The password in a storage URI (``redis://:secret@host``), kept out of the log.
_PASSWORD = re.compile(r"(?<=://)([^@/]*):[^@/]*@")
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
        storage = storage_from_string(
            settings.storage,
            key_prefix=settings.key_prefix,
            **_timeouts(settings.storage, settings.storage_timeout),
        )
        self._general = SlidingWindowCounterRateLimiter(storage)
        self._named = self._general if self.shared else FixedWindowRateLimiter(DatabaseStorage(engine))
        self._general_health = StorageHealth(_safe_uri(settings.storage), settings.on_storage_error)
        self._named_health = (
            self._general_health
            if self.shared
            else StorageHealth("the app database", settings.on_storage_error)
        )

    @property
    def shared(self) -> bool:
        """Whether the configured storage is shared between processes (not process memory)."""
        return not self.storage_uri.startswith("memory://")

    def _strategy(self, name: str) -> tuple[RateLimiter, StorageHealth]:
        if name == "default":
            return self._general, self._general_health
        return self._named, self._named_health

    def _storage_failed(self, fail_closed: bool) -> bool:
        """What an outage of the counters' storage means: allow (True) or refuse (503)."""
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
        strategy, health = self._strategy(name)
        if not health.worth_trying():
            return self._storage_failed(fail_closed)
        try:
            allowed = strategy.hit(item, name, *key)
            stats = strategy.get_window_stats(item, name, *key)
        except Exception as exc:
            health.failed(exc)
            return self._storage_failed(fail_closed)
        health.answered()
        _record(item.amount, stats.remaining, stats.reset_time)
        return allowed

    def test(self, name: str, limit: str, *key: str, fail_closed: bool = False) -> bool:
        """Whether one more hit would be allowed, without counting it."""
        if not self.enabled:
            return True
        item = parse_limit(limit)
        strategy, health = self._strategy(name)
        if not health.worth_trying():
            return self._storage_failed(fail_closed)
        try:
            allowed = strategy.test(item, name, *key)
            if not allowed:  # the response will report this limit
                stats = strategy.get_window_stats(item, name, *key)
                _record(item.amount, stats.remaining, stats.reset_time)
        except Exception as exc:
            health.failed(exc)
            return self._storage_failed(fail_closed)
        health.answered()
        return allowed

    def clear(self, name: str, limit: str, *key: str) -> None:
        """Forget the hits counted for one key (skipped while the storage is down: the
        counts expire with their window)."""
        if not self.enabled:
            return
        strategy, health = self._strategy(name)
        if not health.worth_trying():
            return
        try:
            strategy.clear(parse_limit(limit), name, *key)
        except Exception as exc:
            health.failed(exc)
            return
        health.answered()


class StorageHealth:
    """Whether a counters' storage answers, so that an outage costs neither time nor log.

    The first failure logs one warning and the first answer after it one info line. While the
    storage is down, it is tried again at most every ``RETRY_INTERVAL`` seconds; the requests in
    between get the ``on_storage_error`` policy at once instead of waiting for a timeout each.
    """

    def __init__(self, name: str, policy: str):
        self.name = name
        self.policy = policy
        self.down_since: float | None = None
        self.next_try = 0.0
        self.lock = threading.Lock()

    def worth_trying(self) -> bool:
        """True, except while the storage is down: then True for one request per interval."""
        if self.down_since is None:
            return True
        with self.lock:
            now = time.monotonic()
            if now < self.next_try:
                return False
            self.next_try = now + RETRY_INTERVAL  # this request probes; the others need not wait
            return True

    def failed(self, exc: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            self.next_try = now + RETRY_INTERVAL
            if self.down_since is not None:
                return
            self.down_since = now
        log.warning(
            "rate limit storage %s failed (%s: %s); on_storage_error = %s applies until it answers",
            self.name, type(exc).__name__, exc, self.policy,
        )  # fmt: skip

    def answered(self) -> None:
        if self.down_since is None:  # the common case: no lock
            return
        with self.lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.info("rate limit storage %s answers again after %.1f s", self.name, time.monotonic() - since)


def _timeouts(uri: str, timeout: float) -> dict[str, Any]:
    """Options that bound how long a Redis storage may take: without them a Redis that stops
    answering (not one that refuses connections) blocks every request, and redis-py retries a
    timed-out command three times with backoff (``StorageHealth`` decides when to try again)."""
    if not uri.startswith(("redis", "valkey")):
        return {}
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if uri.startswith(
        ("redis://", "rediss://", "redis+unix://", "valkey://", "valkeys://", "valkey+unix://")
    ):
        options["retry"] = Retry(NoBackoff(), 0)
    return options


def _safe_uri(uri: str) -> str:
    """The storage URI without its password, for the log."""
    return _PASSWORD.sub(r"\1:***@", uri)


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
    if not app_state(app).limiter.enabled:
        return  # nothing is ever counted: no per-request hooks at all

    @app.before_request
    def _default_limit() -> None:
        limiter = app_state(app).limiter
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
