"""What the auth plugin gives the test kit (``core.testing``): fast settings and signed-in users."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def settings(folder: Path) -> dict[str, Any]:
    """The cheapest bcrypt cost, and mail written to files under ``folder``."""
    return {"bcrypt_rounds": 4, "mail_backend": "file", "mail_dir": str(folder / "mail")}


def signed_in_user(client: Any, username: str, email: str, password: str) -> dict[str, Any]:
    """Register through the register route, which signs the new account in."""
    response = client.post(
        "/api/auth/register", json={"username": username, "email": email, "password": password}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return {
        "id": body["user"]["id"],
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "body": body,
    }
