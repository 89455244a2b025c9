"""``/api/user/profile``: the current user's account fields and profile fields."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from core import current_identity, endpoint
from plugins.profile import profiles

bp = Blueprint("profile", __name__, url_prefix="/api/user")


def _model():
    """The update body of this app's declared fields (built at start-up)."""
    return current_app.extensions["profile.model"]


def _answer():
    """The answer's model, with this app's declared fields (built at start-up)."""
    return current_app.extensions["profile.answer"]


def _profile(identity: Any, row: dict[str, Any]) -> dict[str, Any]:
    account = dict(identity.account) or {"id": identity.id, "username": identity.username}
    return {**account, **profiles.fields(row)}


@bp.get("/profile")
@endpoint(auth=True, response=_answer)
def get_profile():
    """The account fields and the profile fields of the current user."""
    identity = current_identity()
    return _profile(identity, profiles.row(identity.id))


@bp.route("/profile", methods=["PUT", "PATCH"])
@endpoint(body=_model, auth=True, response=_answer)
def update_profile(body: Any):
    """Partial update: omitted fields stay, ``null`` clears."""
    identity = current_identity()
    return _profile(identity, profiles.save(identity.id, body.model_dump(exclude_unset=True)))
