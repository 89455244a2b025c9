"""The link page: opening it (a mail scanner's GET) consumes nothing; it holds the button that
POSTs the token and takes the token out of the address bar first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.plugins.auth.conftest import signup
from tests.plugins.emaillink.conftest import PAGE, confirm, mailed

SITE = Path(__file__).resolve().parents[3] / "site"


@pytest.fixture
def app(make_link_app):
    return make_link_app(config={"site": {"static_dir": str(SITE)}})


def test_opening_the_link_consumes_nothing(client, mail_dir):
    signup(client, "alice")
    got = mailed(client, mail_dir)
    for method in ("GET", "HEAD", "GET"):
        response = client.open(f"/{PAGE}?token={got.token}", method=method, headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert response.mimetype == "text/html"
    # The page is static: the token is nowhere in it, and the link still works.
    assert got.token not in client.get(f"/{PAGE}?token={got.token}").get_data(as_text=True)
    assert confirm(client, token=got.token).status_code == 200


def test_the_page_posts_the_token_from_a_button_not_on_load():
    page = (SITE / PAGE).read_text()
    # The token leaves the address bar before anything else loads, and no Referer carries it.
    assert re.search(r'<meta name="referrer" content="no-referrer">\s*<script src="/mailed-token.js">', page)
    assert "/api/emaillink/confirm" in page
    assert re.search(r"addEventListener\('submit'", page)
    assert '<button type="submit" id="confirm-button">Sign in</button>' in page
    # A POST from a no-referrer page carries the real Origin only with this policy.
    assert "referrerPolicy: 'strict-origin'" in page
    assert "/login.html?" in page and "mfa" in page
