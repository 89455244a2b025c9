"""``/api/oidc``: the provider buttons, the browser's round trip, and the linked identities.

``start`` and ``callback`` are where a browser navigates, not API calls: whatever happens they
answer a ``302`` (to the provider, to ``next``, or to the login page with ``?error=oidc_…``).
"""

from __future__ import annotations

import secrets
from typing import Any

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Blueprint, redirect
from pydantic import BaseModel, ConfigDict, Field

from core import (
    ApiError,
    account_event,
    current_identity,
    endpoint,
    ensure_not_last_method,
    get_settings,
    read_json_object,
    require_recent_auth,
)
from plugins.oidc import answers, flows, identities, idtoken, remote, signin
from plugins.oidc.settings import Provider, settings

bp = Blueprint("oidc", __name__, url_prefix="/api/oidc")
bp.after_request(answers.no_store)

#: The OpenAPI description of a browser route's one answer.
REDIRECT = "a redirect: to the provider, to `next`, or to the login page with `?error=oidc_<reason>`"


class ProviderOut(BaseModel):
    name: str
    label: str


class ProvidersOut(BaseModel):
    providers: list[ProviderOut]


class StartQuery(BaseModel):
    """What ``start`` reads; anything else is ignored (a browser route refuses nothing with JSON)."""

    model_config = ConfigDict(extra="allow")
    #: Where to go once signed in: a path on this site (anything else means ``/``).
    next: str | None = None
    #: The token of ``POST /api/oidc/<name>/link``, when linking from the account page.
    link: str | None = None


class CallbackQuery(BaseModel):
    """What the provider sends back (RFC 6749 4.1.2, RFC 9207 ``iss``)."""

    model_config = ConfigDict(extra="allow")
    code: str | None = None
    state: str | None = None
    error: str | None = None
    error_description: str | None = None
    iss: str | None = None


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: The page to come back to once linked (a path on this site).
    next: str | None = Field(None, max_length=2048)
    #: A fresh proof for the step-up rule, when the sign-in is not recent.
    password: str | None = Field(None, max_length=4096)
    code: str | None = Field(None, max_length=64)
    credential: dict[str, Any] | None = None


class LinkOut(BaseModel):
    url: str


class IdentityOut(BaseModel):
    id: int
    provider: str
    email: str | None
    created_at: str


class IdentitiesOut(BaseModel):
    identities: list[IdentityOut]


def redirect_uri(provider: Provider) -> str:
    """What is registered with the provider: ``<site.url>/api/oidc/<name>/callback``."""
    return f"{get_settings().site.url.rstrip('/')}/api/oidc/{provider.name}/callback"


@bp.get("/providers")
@endpoint(response=ProvidersOut)
def list_providers():
    """The configured providers, for the sign-in buttons (no secrets)."""
    return {"providers": [{"name": p.name, "label": p.shown} for p in settings().providers]}


@bp.get("/<name>/start")
@endpoint(query=StartQuery, status=302, responses={302: REDIRECT})
def start(name: str, query: StartQuery):
    """Send the browser to the provider (authorization code, PKCE S256, state and nonce)."""
    provider = settings().provider(name)
    if provider is None:
        return answers.failure("unknown_provider")
    next_path, user_id = answers.safe_next(query.next), None
    if query.link is not None:
        intent = flows.take_intent(query.link, name)
        if intent is None or signin.signed_in_user() != intent["user_id"]:
            return answers.failure("invalid_state")
        next_path, user_id = intent["next"], intent["user_id"]
    try:
        endpoint_url = remote.metadata(provider)["authorization_endpoint"]
    except remote.ProviderError:
        return answers.failure("provider_error")
    browser = flows.browser_key() or secrets.token_urlsafe(32)
    made = flows.begin(name, browser, next_path, user_id)
    url = prepare_grant_uri(
        endpoint_url, provider.client_id, "code",
        redirect_uri=redirect_uri(provider), scope=" ".join(provider.scopes), state=made["state"],
        nonce=made["nonce"], code_challenge=create_s256_code_challenge(made["verifier"]),
        code_challenge_method="S256",
    )  # fmt: skip
    response = answers.no_store(redirect(url, code=302))
    flows.bind(response, browser)
    return response


@bp.get("/<name>/callback")
@endpoint(query=CallbackQuery, status=302, responses={302: REDIRECT})
def callback(name: str, query: CallbackQuery):
    """Where the provider sends the browser back: check, exchange, validate, then sign in, link or sign up."""
    provider = settings().provider(name)
    if provider is None:
        return answers.failure("unknown_provider")
    flow = flows.take(query.state or "", name, flows.browser_key())
    if flow is None or (query.iss is not None and query.iss.rstrip("/") != provider.issuer):
        return answers.failure("invalid_state")
    if query.error:
        return answers.failure("denied" if query.error == "access_denied" else "provider_error")
    if not query.code:
        return answers.failure("provider_error")
    try:
        tokens = remote.exchange(provider, query.code, redirect_uri(provider), flow["verifier"])
        claims = idtoken.validate(provider, tokens["id_token"], flow["nonce"])
        claims = _with_userinfo(provider, claims, tokens)
    except remote.ProviderError:
        return answers.failure("provider_error")
    except idtoken.InvalidIdToken:
        return answers.failure("invalid_token")
    return signin.outcome(provider, flow, claims)


def _with_userinfo(provider: Provider, claims: dict[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims, completed from userinfo when it carries no email (a provider
    may keep the scope's claims there); userinfo about another ``sub`` is refused."""
    if claims.get("email"):
        return claims
    extra = remote.userinfo(provider, str(tokens.get("access_token") or ""))
    if not extra:
        return claims
    if extra.get("sub") != claims["sub"]:
        raise idtoken.InvalidIdToken("userinfo is about another subject")
    return {**extra, **claims}


@bp.post("/<name>/link")
@endpoint(
    body=LinkIn, body_optional=True, response=LinkOut, auth=True,
    responses={403: "reauth_required", 404: "no such provider"},
)  # fmt: skip
def link(name: str, body: LinkIn):
    """A start URL that links the provider to the signed-in user (open it in this browser).

    Recent authentication, as for enrolling a factor: a linked identity is a way in that
    outlives a password change, so a stolen session must not add one.
    """
    provider = settings().provider(name)
    if provider is None:
        raise ApiError(404, "not_found", f"no provider named {name!r}")
    identity = require_recent_auth(body.model_dump(exclude={"next"}, exclude_none=True))
    token = flows.intend_link(name, identity.id, answers.safe_next(body.next))
    base = get_settings().site.url.rstrip("/")
    return {"url": f"{base}/api/oidc/{name}/start?link={token}"}


@bp.get("/identities")
@endpoint(response=IdentitiesOut, auth=True)
def list_identities():
    """The provider accounts linked to the signed-in user."""
    return {"identities": [identities.public(row) for row in identities.of_user(current_identity().id)]}


@bp.delete("/identities/<int:identity_id>")
@endpoint(
    status=204, auth=True,
    responses={403: "reauth_required", 404: "no such identity", 409: "last_sign_in_method"},
)  # fmt: skip
def unlink(identity_id: int):
    """Unlink a provider account (recent authentication; never the last way to sign in).

    The body may carry the fresh proof (``{"password"}``, ``{"code"}``) the step-up rule accepts.
    """
    proof = read_json_object(optional=True)
    user_id = require_recent_auth(proof).id
    row = identities.get(user_id, identity_id)
    if row is None:
        raise ApiError(404, "not_found", "no such linked identity")
    ensure_not_last_method(user_id, identities.method(row))
    identities.remove(identity_id)
    provider = settings().provider(row["provider"])  # None once removed from the configuration
    label = provider.shown if provider is not None else row["provider"]
    notice = {"notice": "factor_removed", "method": "oidc", "name": label}
    account_event(user_id, "oidc_unlinked", provider=row["provider"], **notice)
    return None
