"""The test kit's conformance check passes for the totp plugin (tables, migrations, routes)."""

from __future__ import annotations

import pytest

from core.testing import check_plugin


@pytest.fixture
def annex_plugins():
    return ["auth", "totp"]


def test_the_plugin_passes_the_conformance_check(annex_app_factory):
    check_plugin("totp", annex_app_factory)


def test_the_kits_user_can_enrol(annex_client, annex_user):
    """A plugin author's kit user (signed in a moment ago) may set up an authenticator at once."""
    response = annex_client.post("/api/totp/setup", headers=annex_user.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
