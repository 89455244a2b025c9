"""Talking to a provider over HTTP: discovery, its keys, the code exchange and userinfo.

Plain ``urllib`` for three small requests (no HTTP library to add); what they carry is built
and checked by authlib and joserfc. Discovery and keys are cached per app and per issuer:
metadata for an hour, keys until a token names a ``kid`` they do not hold.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from flask import current_app
from joserfc.jwk import KeySet

from plugins.oidc.settings import Provider, settings

#: Seconds discovered metadata is used before it is read again.
METADATA_TTL = 3600
#: Largest answer read from a provider.
MAX_ANSWER = 1 << 20


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


@dataclass
class _Cached:
    metadata: dict[str, Any] | None = None
    metadata_at: float = 0.0
    keys: KeySet | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cache(issuer: str) -> _Cached:
    caches = current_app.extensions.setdefault("oidc.providers", {})
    return caches.setdefault(issuer, _Cached())


def _read(request: Request) -> Any:
    try:
        with urlopen(request, timeout=settings().http_timeout) as answer:
            raw = answer.read(MAX_ANSWER + 1)
    except HTTPError as exc:
        raw = exc.read(MAX_ANSWER)
        try:
            detail = json.loads(raw)
        except ValueError:
            detail = {}
        error = detail.get("error", "") if isinstance(detail, dict) else ""
        raise ProviderError(f"{request.full_url} answered {exc.code} {error}".strip()) from None
    except (URLError, OSError) as exc:
        raise ProviderError(f"{request.full_url} could not be reached: {exc}") from None
    if len(raw) > MAX_ANSWER:
        raise ProviderError(f"{request.full_url} answered more than {MAX_ANSWER} bytes")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProviderError(f"{request.full_url} did not answer JSON") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{request.full_url} did not answer a JSON object")
    return data


def _get(url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return _read(Request(url, headers={"Accept": "application/json", **(headers or {})}))


def metadata(provider: Provider) -> dict[str, Any]:
    """The provider's discovery document, checked: its ``issuer`` must be the configured one."""
    cached = _cache(provider.issuer)
    if cached.metadata is not None and time.monotonic() - cached.metadata_at < METADATA_TTL:
        return cached.metadata
    data = _get(f"{provider.issuer}/.well-known/openid-configuration")
    if data.get("issuer", "").rstrip("/") != provider.issuer:
        raise ProviderError(f"discovery names issuer {data.get('issuer')!r}, not {provider.issuer!r}")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(data.get(name), str):
            raise ProviderError(f"discovery has no {name}")
    cached.metadata, cached.metadata_at = data, time.monotonic()
    return data


def keys(provider: Provider, kid: str | None) -> KeySet:
    """The provider's signing keys; read again when ``kid`` is not among the cached ones
    (the provider rotated its keys)."""
    cached = _cache(provider.issuer)
    with cached.lock:
        if cached.keys is not None and (kid is None or _holds(cached.keys, kid)):
            return cached.keys
        data = _get(metadata(provider)["jwks_uri"])
        try:
            cached.keys = KeySet.import_key_set(data)
        except Exception as exc:  # joserfc raises several kinds for a malformed set
            raise ProviderError(f"the provider's JWKS cannot be read: {exc}") from None
        return cached.keys


def _holds(keyset: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keyset.keys)


def exchange(provider: Provider, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    """The token response for ``code`` (client_secret_basic, the PKCE verifier)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    # RFC 6749, 2.3.1: the id and secret are form-encoded before they are put in Basic.
    pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
    request = Request(
        metadata(provider)["token_endpoint"],
        data=urlencode(form).encode(),
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
        },
        method="POST",
    )
    answer = _read(request)
    if not isinstance(answer.get("id_token"), str):
        raise ProviderError("the token response holds no id_token")
    return answer


def userinfo(provider: Provider, access_token: str) -> dict[str, Any]:
    """The userinfo claims, or ``{}`` when the provider has no userinfo endpoint."""
    url = metadata(provider).get("userinfo_endpoint")
    if not isinstance(url, str) or not access_token:
        return {}
    return _get(url, {"Authorization": f"Bearer {access_token}"})
