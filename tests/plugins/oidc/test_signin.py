"""Signing in with a real OpenID Provider, the whole browser round trip (api-v2.md, "oidc plugin"):
the provider's login and consent pages, its redirects, its code exchange, its keys."""

from __future__ import annotations

import time
from urllib.parse import SplitResult, parse_qs, urlsplit, urlunsplit

import pytest

from tests.plugins.oidc.helpers import START, account, landing, register
from tests.plugins.oidc.provider import SITE

LOGIN = "/login.html?error="


def refused(reason):
    """Where a failure sends the browser: the login page with the reason."""
    return ("/login.html", {"error": reason})


def test_first_sign_in_creates_the_account_and_signs_it_in(oidc_app, browser_for):
    browser = browser_for(oidc_app())
    hop = browser.sign_in_at_provider(f"{START}?next=/members/welcome.html", "ada")
    assert landing(hop) == ("/members/welcome.html", {})
    me = account(browser)
    assert (me["username"], me["email"], me["email_verified"]) == ("ada", "ada@example.com", True)
    assert [(i["provider"], i["email"]) for i in me["identities"]] == [("test", "ada@example.com")]
    sessions = browser.client.get("/api/auth/sessions", base_url=SITE).get_json()["sessions"]
    assert [s["methods"] for s in sessions] == [["fed"]]
    # The export holds what is linked, never a token of the provider.
    export = browser.client.get("/api/user/export", base_url=SITE).get_data(as_text=True)
    assert "token" not in export.lower().replace("csrf", "")


def test_the_start_asks_for_a_code_with_pkce_state_and_nonce_bound_to_a_cookie(oidc_app, provider):
    client = oidc_app().test_client()
    answer = client.get("/api/oidc/test/start?next=/a", base_url=SITE)
    assert answer.status_code == 302
    url = urlsplit(answer.headers["Location"])
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    asked = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert asked["response_type"] == "code" and asked["client_id"] == "annex"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32 and asked["state"] != asked["nonce"]
    assert asked["redirect_uri"] == f"{SITE}/api/oidc/test/callback"
    assert asked["scope"].split() == ["openid", "email", "profile"]
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("__Secure-annex_oidc=")
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Max-Age=600", "Path=/api/oidc/"):
        assert flag in cookie
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_same_sub_signs_into_the_same_user(oidc_app, browser_for):
    app = oidc_app()
    first, second = browser_for(app), browser_for(app)
    landing(first.sign_in_at_provider(START, "grace"))
    landing(second.sign_in_at_provider(START, "grace"))
    assert account(first)["id"] == account(second)["id"]
    assert len(account(second)["identities"]) == 1


def test_an_existing_email_is_not_taken_over(oidc_app, browser_for):
    app = oidc_app()
    owner = browser_for(app)
    register(owner, "owner", "owner@example.com")
    # mallory's provider account says owner@example.com (even verified): no link by email alone.
    intruder = browser_for(app)
    assert landing(intruder.sign_in_at_provider(START, "mallory")) == (
        "/login.html", {"error": "oidc_account_exists"},
    )  # fmt: skip
    assert account(intruder) is None
    assert account(owner)["identities"] == []


def test_an_unverified_email_makes_an_unverified_account(oidc_app, browser_for):
    browser = browser_for(oidc_app())
    landing(browser.sign_in_at_provider(START, "unverified"))
    assert account(browser)["email_verified"] is False


def test_a_provider_account_without_email_makes_no_account(oidc_app, browser_for):
    browser = browser_for(oidc_app())
    assert landing(browser.sign_in_at_provider(START, "nomail")) == (
        "/login.html",
        {"error": "oidc_no_email"},
    )
    assert account(browser) is None


def _callback_url(browser, start=START):
    """Run the provider's pages, stopping where it sends the browser back to Annex."""
    hop = browser.sign_in_at_provider(start, "ada", stop_at=f"{SITE}/api/oidc/")
    assert "code=" in hop.location, hop
    return hop.location


@pytest.mark.parametrize("change", ["tampered", "missing", "other browser"])
def test_a_tampered_or_missing_state_signs_nobody_in(oidc_app, browser_for, change):
    app = oidc_app()
    browser = browser_for(app)
    url = _callback_url(browser)
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if change == "tampered":
        query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    elif change == "missing":
        del query["state"]
    else:
        browser = browser_for(app)  # a state this browser did not start (login CSRF)
    target = with_query(parts, query)
    assert landing(browser.go(target)) == refused("oidc_invalid_state")
    assert account(browser) is None


def test_a_replayed_callback_is_refused(oidc_app, browser_for):
    browser = browser_for(oidc_app())
    url = _callback_url(browser)
    assert landing(browser.go(url)) == ("/", {})
    first = account(browser)["id"]
    assert landing(browser.go(url)) == refused("oidc_invalid_state")
    assert account(browser)["id"] == first  # still the one session from the first callback


def test_the_provider_denying_ends_on_the_login_page(oidc_app, browser_for):
    browser = browser_for(oidc_app())
    hop = browser.sign_in_at_provider(START, "ada", deny=True)
    assert landing(hop) == refused("oidc_denied")
    assert account(browser) is None


def test_an_id_token_signed_by_another_key_is_refused(oidc_app, browser_for, provider):
    browser = browser_for(oidc_app())
    provider.control(tamper={"key": "foreign"})  # same kid, a key the provider never published
    assert landing(browser.sign_in_at_provider(START, "ada")) == (
        "/login.html",
        {"error": "oidc_invalid_token"},
    )
    assert account(browser) is None


def test_an_id_token_re_signed_unchanged_by_the_provider_key_passes(oidc_app, browser_for, provider):
    """The control for the two tests above: the re-signing itself is sound."""
    browser = browser_for(oidc_app())
    provider.control(tamper={"key": "own", "claims": {}})
    assert landing(browser.sign_in_at_provider(START, "ada")) == ("/", {})


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "elsewhere"},  # for another client
        {"aud": ["annex", "elsewhere"], "azp": "elsewhere"},  # several audiences, authorized elsewhere
        {"azp": "elsewhere"},
        {"iss": "http://127.0.0.1:1"},
        {"nonce": "not-the-nonce-sent"},
        {"nonce": None},
        {"exp": int(time.time()) - 3600},
        {"iat": int(time.time()) + 3600},
    ],
    ids=["aud", "aud+azp", "azp", "iss", "nonce", "no nonce", "expired", "future iat"],
)
def test_an_id_token_failing_a_claim_check_is_refused(oidc_app, browser_for, provider, claims):
    browser = browser_for(oidc_app())
    provider.control(tamper={"key": "own", "claims": claims})  # signed right, by the provider's key
    assert landing(browser.sign_in_at_provider(START, "ada")) == (
        "/login.html",
        {"error": "oidc_invalid_token"},
    )
    assert account(browser) is None


def test_a_code_issued_to_another_client_is_refused(oidc_app, browser_for, provider):
    """Code injection: a code the provider gave another client, put into Annex's callback."""
    app = oidc_app(providers=[provider.config(), provider.config("elsewhere", name="other")])
    elsewhere = _callback_url(browser_for(app), f"{SITE}/api/oidc/other/start")
    victim = browser_for(app)
    ours = urlsplit(_callback_url(victim))
    injected = parse_qs(urlsplit(elsewhere).query)["code"][0]
    query = {key: values[0] for key, values in parse_qs(ours.query).items()} | {"code": injected}
    target = with_query(ours, query)
    assert landing(victim.go(target)) == refused("oidc_provider_error")
    assert account(victim) is None


def test_keys_are_read_again_when_the_provider_signs_with_a_new_one(oidc_app, browser_for, provider):
    app = oidc_app(providers=[provider.config("annex-es", name="rotating")])
    start = f"{SITE}/api/oidc/rotating/start"
    provider.control(hide=["es-1"])  # the provider signs with a key it does not publish (yet)
    assert landing(browser_for(app).sign_in_at_provider(start, "ada")) == (
        "/login.html", {"error": "oidc_invalid_token"},
    )  # fmt: skip
    fetched = provider.control(hide=[])["jwks_fetches"]  # now it publishes it
    browser = browser_for(app)
    assert landing(browser.sign_in_at_provider(start, "ada")) == ("/", {})
    assert account(browser)["username"] == "ada"
    after = provider.control()["jwks_fetches"]
    assert after == fetched + 1  # the cached keys lacked the kid: read once more
    landing(browser_for(app).sign_in_at_provider(start, "ada"))
    assert provider.control()["jwks_fetches"] == after  # and kept since


@pytest.mark.parametrize(
    "next_value", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "x"]
)
def test_next_off_site_is_ignored(oidc_app, browser_for, next_value):
    browser = browser_for(oidc_app())
    hop = browser.sign_in_at_provider(f"{START}?next={next_value}", "ada")
    assert landing(hop) == ("/", {})
    assert account(browser) is not None


def test_registration_closed_makes_no_account_but_linked_identities_still_sign_in(oidc_app, browser_for):
    app = oidc_app()
    landing(browser_for(app).sign_in_at_provider(START, "grace"))  # linked while open
    closed = oidc_app({"plugins": {"auth": {"registration": "closed"}}})
    newcomer = browser_for(closed)
    assert landing(newcomer.sign_in_at_provider(START, "ada")) == (
        "/login.html",
        {"error": "registration_closed"},
    )
    assert account(newcomer) is None
    known = browser_for(closed)
    assert landing(known.sign_in_at_provider(START, "grace")) == ("/", {})
    assert account(known)["username"] == "grace"


def test_an_unknown_provider_or_an_unreachable_one_ends_on_the_login_page(oidc_app, provider):
    down = provider.config(name="second") | {"issuer": "http://127.0.0.1:9"}
    client = oidc_app(providers=[provider.config(), down]).test_client()
    answer = client.get("/api/oidc/nope/start", base_url=SITE, headers={"Accept": "text/html"})
    assert (answer.status_code, answer.headers["Location"]) == (
        302,
        "/login.html?error=oidc_unknown_provider",
    )
    answer = client.get("/api/oidc/second/start", base_url=SITE, headers={"Accept": "text/html"})
    assert (answer.status_code, answer.headers["Location"]) == (302, f"{LOGIN}oidc_provider_error")
    answer = client.get("/api/oidc/test/callback", base_url=SITE, headers={"Accept": "text/html"})
    assert (answer.status_code, answer.headers["Location"]) == (302, f"{LOGIN}oidc_invalid_state")


def with_query(parts: SplitResult, query: dict[str, str]) -> str:
    """The URL of ``parts`` with ``query`` as its query string, values as they are."""
    encoded = "&".join(f"{key}={value}" for key, value in query.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, parts.fragment))
