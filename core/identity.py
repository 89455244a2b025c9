"""Who is asking: ``Identity``, ``current_identity()`` and the decorators that require one.

The identity is resolved lazily through the ``identify_request`` hook, once per request, and
cached on ``g`` (as Flask-Login does with its current user).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import request

from core.errors import ApiError, unauthorized
from core.state import app_state

F = TypeVar("F", bound=Callable[..., Any])
_MISSING = object()


@dataclass(frozen=True)
class Identity:
    """An authenticated user, as an identity provider (an accounts plugin, an API-key plugin…) sees it.

    ``account`` carries the public account fields (``username``, ``email``, ``email_verified``,
    ``created_at``…) so other plugins need not read the provider's tables.
    """

    #: The account's id.
    id: int
    #: The account's username, when the provider knows it.
    username: str | None = None
    #: Roles granted to the account.
    roles: frozenset[str] = frozenset()
    #: The session (one login on one device) the credentials belong to, if any.
    session_id: Any = None
    #: How the credentials arrived: ``"bearer"``, ``"cookie"``, or a provider's own word.
    transport: str | None = None
    #: Public account fields for display.
    account: Mapping[str, Any] = field(default_factory=dict)
    #: How the session's user proved who they are: RFC 8176 ``amr`` values (``pwd``, ``otp``…).
    methods: tuple[str, ...] = ()
    #: When the user last proved a factor in this session (seconds since the epoch), if known.
    auth_time: int | None = None

    def has_roles(self, *roles: str) -> bool:
        return set(roles) <= self.roles


def current_identity() -> Identity | None:
    """The identity of the current request, or None when anonymous.

    The first call asks the ``identify_request`` hook; a provider may raise ``ApiError`` (an expired
    token, say), which propagates to the caller.
    """
    # Kept on the request object, not on ``g``: ``g`` belongs to the app context, which an outer
    # context (a CLI command, a test) can keep alive across requests. One context lookup.
    current = request._get_current_object()
    identity = getattr(current, "_annex_identity", _MISSING)
    if identity is _MISSING:
        pm = app_state().pm
        identity = pm.hook.identify_request(request=current)
        current._annex_identity = identity
    return identity  # type: ignore[return-value]


def require_identity() -> Identity:
    """The current identity, or a 401 ``unauthorized``."""
    identity = current_identity()
    if identity is None:
        raise unauthorized()
    return identity


def check_roles(identity: Identity, roles: tuple[str, ...] | list[str]) -> None:
    if not identity.has_roles(*roles):
        raise ApiError(403, "forbidden", f"requires role {', '.join(sorted(set(roles) - identity.roles))}")


def permission_allowed(identity: Identity | None, action: str, resource: str) -> bool | None:
    """Combine every plugin's ``permission_allowed`` answer: any False denies, else any True allows.

    None means no plugin had an opinion; the caller decides (usually: deny).
    """
    pm = app_state().pm
    answers = pm.hook.permission_allowed(identity=identity, action=action, resource=resource)
    if False in answers:
        return False
    if True in answers:
        return True
    return None
