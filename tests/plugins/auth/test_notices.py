"""Security notices (issue 20, point 2; api-v2 "Auth additions"): mail to the account's address
when it is signed in to from a new device, its password changes, a sign-in method or second
factor is added or removed (reported by any plugin through ``core.account_event``), each saying
what, when, from where and what to do, each switched off in ``plugins.auth.notify``, in the
reader's language and from the site owner's templates when they have some."""

from __future__ import annotations

from typing import Any

import pytest

from core import account_event
from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    bearer,
    https_client,
    link_token,
    login,
    mails,
    post,
    text_of,
    wait_for_mails,
)

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36"
)
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def browser(app: Any, agent: str = FIREFOX, language: dict[str, str] | None = None) -> Any:
    client = https_client(app)
    client.environ_base["HTTP_USER_AGENT"] = agent
    for name, value in (language or {}).items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def sign_up(client: Any, name: str = "alice") -> dict[str, Any]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    response = post(client, "/api/auth/register", body, ip="203.0.113.7")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def subjects(mail_dir) -> list[str]:
    return [m["Subject"] for m in mails(mail_dir)]


def settle(app: Any) -> None:
    """A request after the last one, so the outbox has sent what the last one queued."""
    app.test_client().get("/api/auth/registration")


def test_a_sign_in_from_a_new_browser_is_notified_once_and_a_known_one_never(app, mail_dir):
    laptop = browser(app)
    sign_up(laptop)
    assert login(laptop, "alice", PASSWORD).status_code == 200  # the browser it registered in
    settle(app)
    assert subjects(mail_dir) == []  # an account's first browser is not news

    phone = browser(app, CHROME_ANDROID)
    assert login(phone, "alice", PASSWORD, ip="198.51.100.23").status_code == 200
    notice = wait_for_mails(mail_dir, 1)[0]
    text = text_of(notice)
    assert notice["To"] == "alice@example.com" and notice["Subject"] == "New sign-in to your account"
    assert "198.51.100.23" in text and "Chrome on Android" in text and "UTC" in text
    assert "If this was not you" in text and "change your password" in text

    assert login(phone, "alice", PASSWORD).status_code == 200
    assert login(laptop, "alice", PASSWORD).status_code == 200
    settle(app)
    assert len(mails(mail_dir)) == 1


def test_a_client_without_cookies_is_news_once_per_address(app, mail_dir):
    """A client that keeps no cookie (a script) looks new at every sign-in: the same browser
    from the same address is told of once, from another address again."""
    sign_up(browser(app))
    script = app.test_client(use_cookies=False)
    for _ in range(3):
        assert login(script, "alice", PASSWORD, ip="192.0.2.50").status_code == 200
    assert len(wait_for_mails(mail_dir, 1)) == 1
    assert login(script, "alice", PASSWORD, ip="192.0.2.51").status_code == 200
    assert "192.0.2.51" in text_of(wait_for_mails(mail_dir, 2)[-1])
    settle(app)
    assert len(mails(mail_dir)) == 2


def test_an_account_remembers_its_twenty_most_recent_devices(app):
    first = browser(app)
    sign_up(first)
    for i in range(22):
        assert login(browser(app), "alice", PASSWORD, ip=f"192.0.2.{i + 1}").status_code == 200
    token = login(browser(app), "alice", PASSWORD).get_json()["access_token"]
    listed = app.test_client().get("/api/auth/devices", headers=bearer(token)).get_json()["devices"]
    assert len(listed) == 20
    assert "203.0.113.7" not in {d["ip"] for d in listed}  # the registering browser's was oldest


def test_a_password_change_and_a_reset_are_notified(app, mail_dir):
    laptop = browser(app)
    token = sign_up(laptop)["access_token"]
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(laptop, "/api/auth/password", change, token=token, ip="203.0.113.9").status_code == 204
    notice = wait_for_mails(mail_dir, 1)[0]
    assert notice["Subject"] == "Your password was changed"
    assert "203.0.113.9" in text_of(notice) and "Firefox on Linux" in text_of(notice)

    assert post(laptop, "/api/auth/password-reset", {"email": "alice@example.com"}).status_code == 202
    reset = wait_for_mails(mail_dir, 2)[-1]
    confirm = {"token": link_token(reset), "new_password": "copper-Willow-19-canyon"}
    assert post(laptop, "/api/auth/password-reset/confirm", confirm).status_code == 204
    assert [m["Subject"] for m in wait_for_mails(mail_dir, 3)][-1] == "Your password was changed"


def test_the_operators_set_password_is_notified_without_an_address(app, mail_dir):
    sign_up(browser(app))
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "alice", "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    settle(app)
    text = text_of(wait_for_mails(mail_dir, 1)[0])
    assert "by the site's operator" in text
    assert "From:" not in text and "Browser:" not in text


@pytest.mark.parametrize(
    ("details", "subject", "words"),
    [
        ({"notice": "factor_added", "method": "passkey", "name": "Work laptop"}, "added", "A passkey named"),
        ({"notice": "factor_removed", "method": "totp"}, "removed", "An authenticator app"),
        ({"notice": "factor_added", "method": "oidc", "name": "GitLab"}, "added", "Sign-in with GitLab"),
        (
            {"notice": "factor_added", "method": "carrier-pigeon"},
            "added",
            "A sign-in method (carrier-pigeon)",
        ),
    ],
)
def test_a_plugin_reporting_a_factor_change_mails_the_owner(app, mail_dir, details, subject, words):
    user = sign_up(browser(app))["user"]
    with app.test_request_context(
        "/", headers={"User-Agent": FIREFOX}, environ_base={"REMOTE_ADDR": "192.0.2.4"}
    ):
        account_event(user["id"], "something_changed", **details)
    settle(app)
    notice = wait_for_mails(mail_dir, 1)[0]
    assert subject in notice["Subject"]
    text = text_of(notice)
    assert words in text and "192.0.2.4" in text and "If this was not you" in text
    # An event without a notice is only recorded.
    with app.test_request_context("/"):
        account_event(user["id"], "something_else")
    settle(app)
    assert len(mails(mail_dir)) == 1


def test_each_notice_can_be_switched_off(make_auth_app, mail_dir):
    off = {"new_device": False, "password_changed": False, "factor_changed": False}
    app = make_auth_app(auth={"notify": off})
    token = sign_up(browser(app))["access_token"]
    assert login(browser(app, CHROME_ANDROID), "alice", PASSWORD).status_code == 200
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(browser(app), "/api/auth/password", change, token=token).status_code == 204
    with app.test_request_context("/"):
        account_event(1, "passkey_added", notice="factor_added", method="passkey")
    # The email-change notice has its switch too; the confirmation link to the new address stays.
    app2 = make_auth_app(auth={"notify": {**off, "email_changed": False}})
    token2 = login(app2.test_client(use_cookies=False), "alice", NEW_PASSWORD).get_json()["access_token"]
    asked = post(app2.test_client(), "/api/auth/email", {"new_email": "a2@example.com"}, token=token2)
    assert asked.status_code == 202, asked.get_data(as_text=True)
    settle(app2)
    assert [m["To"] for m in wait_for_mails(mail_dir, 1)] == ["a2@example.com"]


def test_a_german_browser_gets_the_notice_in_german(app, mail_dir):
    sign_up(browser(app))
    assert login(browser(app, CHROME_ANDROID, GERMAN), "alice", PASSWORD).status_code == 200
    notice = wait_for_mails(mail_dir, 1)[0]
    assert notice["Subject"] == "Neue Anmeldung bei Ihrem Konto"
    assert text_of(notice).startswith("Hallo alice,") and "Chrome unter Android" in text_of(notice)


def test_the_site_owners_template_of_a_notice_is_used(make_auth_app, mail_dir, tmp_path):
    owner_dir = tmp_path / "owner-templates"
    (owner_dir / "en").mkdir(parents=True)
    (owner_dir / "en" / "new_device.subject.txt").write_text("Was that you, {{ username }}?\n")
    (owner_dir / "en" / "new_device.txt").write_text(
        "Signed in from {{ ip }} ({{ browser }}) at {{ when }}.\n"
    )
    app = make_auth_app(auth={"templates_dir": str(owner_dir)})
    sign_up(browser(app))
    assert login(browser(app, CHROME_ANDROID), "alice", PASSWORD, ip="198.51.100.5").status_code == 200
    notice = wait_for_mails(mail_dir, 1)[0]
    assert notice["Subject"] == "Was that you, alice?"
    assert text_of(notice).startswith("Signed in from 198.51.100.5 (Chrome on Android) at ")
    # The HTML part is still the shipped one (the owner replaced only the text and subject).
    assert "New sign-in" not in notice["Subject"]


def test_a_disabled_account_gets_no_notice(app, mail_dir):
    sign_up(browser(app))
    assert app.test_cli_runner().invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert login(browser(app, CHROME_ANDROID), "alice", PASSWORD).status_code == 403
    settle(app)
    assert mails(mail_dir) == []


def test_the_device_list_names_each_browser(app):
    laptop = browser(app)
    token = sign_up(laptop)["access_token"]
    assert login(browser(app, CHROME_ANDROID), "alice", PASSWORD, ip="198.51.100.8").status_code == 200
    listed = laptop.get("/api/auth/devices", headers=bearer(token)).get_json()["devices"]
    assert [(d["browser"], d["ip"], d["current"]) for d in listed] == [
        ("Chrome on Android", "198.51.100.8", False),
        ("Firefox on Linux", "203.0.113.7", True),
    ]
    assert app.test_client().get("/api/auth/devices").status_code == 401
