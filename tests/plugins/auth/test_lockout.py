"""Lockout without a denial of service (issue 20, points 3 and 7; api-v2 "Auth additions").

An attacker's wrong passwords from many addresses spend the account's ``login_account_failures``;
from then on a browser the account has signed in from (its ``__Host-annex_device`` cookie) still
signs in with the right password, any other gets ``429``, and the owner gets one "locked" notice
an hour whose link signs in by email and remembers that browser. Mail goes through the file
backend and through a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.auth.conftest import (
    DEVICE,
    PASSWORD,
    SITE_URL,
    assert_error,
    https_client,
    link_token,
    login,
    mails,
    post,
    text_of,
    wait_for_mails,
)
from tests.plugins.auth.test_mail_outbox import SMTPServer, smtp  # noqa: F401  (the fixture)

#: Small budgets, so that a test locks an account in a few requests.
LIMITS = {"login_account_failures": "20/hour", "login_device_failures": "3/hour"}
OWNER = "owner@example.com"
WRONG = "not-the-password-1"


class Inbox:
    """The messages one backend delivered: .eml files, or what the SMTP server received."""

    def __init__(self, mail_dir: Path, server: SMTPServer | None) -> None:
        self.mail_dir, self.server = mail_dir, server

    def wait_for(self, count: int) -> list[EmailMessage]:
        if self.server is not None:
            return self.server.wait_for(count)
        return wait_for_mails(mail_dir=self.mail_dir, count=count)

    def now(self) -> list[EmailMessage]:
        return list(self.server.received) if self.server is not None else mails(self.mail_dir)

    def locked_notices(self) -> list[EmailMessage]:
        return [m for m in self.now() if m["To"] == OWNER and "paused" in m["Subject"]]


@pytest.fixture(params=["file", "smtp"])
def backend(request, make_auth_app, mail_dir) -> tuple[Any, Inbox]:
    """An app with the rate limits on and small lockout budgets, mailing through ``file`` or ``smtp``."""
    auth: dict[str, Any] = {"limits": LIMITS}
    server = None
    if request.param == "smtp":
        server = request.getfixturevalue("smtp")
        server.start()
        auth.update(mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=server.port, smtp_timeout=5)
    return make_auth_app(auth=auth, rate_limits=True), Inbox(mail_dir, server)


def browser_of(app: Any) -> Any:
    """A browser: HTTPS (so it keeps the Secure cookies) with its own cookie jar."""
    return https_client(app)


def owner_signs_up(app: Any) -> Any:
    """The owner registers in a browser and confirms the address (``users verify``): a mailed
    sign-in to an unconfirmed address would end the password its creator set, as every one does."""
    browser = browser_of(app)
    body = {"username": "owner", "email": OWNER, "password": PASSWORD}
    response = post(browser, "/api/auth/register", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert browser.get_cookie(DEVICE) is not None
    verified = app.test_cli_runner().invoke(args=["users", "verify", "owner"])
    assert verified.exit_code == 0, verified.output
    return browser


def guess(app: Any, count: int, first: int = 0) -> list[int]:
    """``count`` wrong passwords for the owner, each from another address, without cookies."""
    attacker = app.test_client(use_cookies=False)
    return [
        login(attacker, "owner", WRONG, ip=f"198.51.{(first + i) // 250}.{(first + i) % 250 + 1}").status_code
        for i in range(count)
    ]


def test_200_wrong_passwords_from_many_addresses_do_not_stop_the_owners_remembered_browser(backend):
    app, inbox = backend
    owner = owner_signs_up(app)
    answers = guess(app, 200)
    assert answers[:20] == [401] * 20 and set(answers[20:]) == {429}, answers

    # The owner's browser, which signed in before, signs in with the right password.
    response = login(owner, "owner", PASSWORD)
    assert response.status_code == 200, response.get_data(as_text=True)
    # Anyone else is refused, even with the right password, and without a hash being computed.
    stranger = browser_of(app)
    assert_error(login(stranger, "owner", PASSWORD), 429, "rate_limited")
    assert stranger.get_cookie(DEVICE) is None

    # One notice for 180 refusals, with what happened, from where, and the sign-in link.
    inbox.wait_for(1)
    notices = inbox.locked_notices()
    assert len(notices) == 1, [m["Subject"] for m in inbox.now()]
    text = text_of(notices[0])
    assert "Too many wrong passwords" in text and "198.51." in text
    assert f"{SITE_URL}/login-link.html?token=" in text


def test_a_lost_device_cookie_falls_back_to_the_mailed_sign_in_link(backend):
    app, inbox = backend
    owner_signs_up(app)
    guess(app, 21)
    new_laptop = browser_of(app)  # the owner's, but with no cookie of the account
    assert_error(login(new_laptop, "owner", PASSWORD), 429, "rate_limited")
    inbox.wait_for(1)
    token = link_token(inbox.locked_notices()[0])

    response = post(new_laptop, "/api/auth/login-link", {"token": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["user"]["email"] == OWNER
    assert new_laptop.get_cookie(DEVICE) is not None
    # That browser is remembered now: its password signs in despite the lock.
    assert login(new_laptop, "owner", PASSWORD).status_code == 200
    # The link worked once.
    assert_error(post(browser_of(app), "/api/auth/login-link", {"token": token}), 400, "invalid_token")


def test_the_locked_notice_is_sent_once_an_hour_not_per_refusal(backend):
    app, inbox = backend
    owner_signs_up(app)
    guess(app, 20)
    assert inbox.locked_notices() == []  # the budget is spent, nothing refused yet
    assert set(guess(app, 30, first=20)) == {429}
    stranger = browser_of(app)
    for _ in range(5):
        assert_error(login(stranger, "owner", PASSWORD), 429, "rate_limited")
    inbox.wait_for(1)
    # Whatever else would have gone out has by now: the outbox sends right after each answer.
    assert len(inbox.locked_notices()) == 1


def test_a_remembered_browser_has_a_budget_of_its_own_once_the_account_is_locked(backend):
    app, _ = backend
    owner = owner_signs_up(app)
    guess(app, 20)
    answers = [login(owner, "owner", WRONG).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    assert_error(login(owner, "owner", PASSWORD), 429, "rate_limited")


def test_another_accounts_device_or_a_forged_cookie_does_not_pass_the_lock(backend):
    app, _ = backend
    owner_signs_up(app)
    neighbour = browser_of(app)
    body = {"username": "neighbour", "email": "neighbour@example.com", "password": PASSWORD}
    assert post(neighbour, "/api/auth/register", body).status_code == 201
    guess(app, 20)
    # A device the neighbour's account knows is not one the owner's account knows.
    assert_error(login(neighbour, "owner", PASSWORD), 429, "rate_limited")

    forger = browser_of(app)
    value = neighbour.get_cookie(DEVICE).value
    device_id, signature = value.rsplit(".", 1)
    forger.set_cookie(DEVICE, device_id + "x." + signature, domain="localhost", path="/", secure=True)
    assert_error(login(forger, "owner", PASSWORD), 429, "rate_limited")


def test_a_forgotten_device_no_longer_passes_the_lock(backend):
    app, _ = backend
    owner = owner_signs_up(app)
    other = browser_of(app)
    assert login(other, "owner", PASSWORD).status_code == 200
    token = login(owner, "owner", PASSWORD).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = owner.get("/api/auth/devices", headers=headers).get_json()["devices"]
    assert len(listed) == 2 and [d["current"] for d in listed].count(True) == 1
    theirs = next(d for d in listed if not d["current"])
    assert owner.delete(f"/api/auth/devices/{theirs['id']}", headers=headers).status_code == 204
    assert_error(owner.delete(f"/api/auth/devices/{theirs['id']}", headers=headers), 404, "not_found")
    guess(app, 20)
    assert_error(login(other, "owner", PASSWORD), 429, "rate_limited")
    assert login(owner, "owner", PASSWORD).status_code == 200


@pytest.mark.parametrize(("profile_locale", "subject"), [(None, "Sign-ins to"), ("de", "Anmeldungen mit")])
def test_the_locked_notice_speaks_the_owners_language_not_the_strangers(
    make_auth_app, mail_dir, profile_locale, subject
):
    """The refused request is likely a stranger's: its Accept-Language does not choose the
    language; the owner's profile (else the site's) does."""
    app = make_auth_app(
        auth={"limits": LIMITS}, config={"plugins": {"enabled": ["auth", "profile"]}}, rate_limits=True
    )
    owner = owner_signs_up(app)
    if profile_locale:
        token = login(owner, "owner", PASSWORD).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert owner.patch("/api/user/profile", json={"locale": "de"}, headers=headers).status_code == 200
    guess(app, 20)
    stranger_language = {"Accept-Language": "en-US" if profile_locale else "de-DE,de;q=0.9"}
    assert_error(login(browser_of(app), "owner", PASSWORD, headers=stranger_language), 429, "rate_limited")
    assert Inbox(mail_dir, None).wait_for(1)[0]["Subject"].startswith(subject)
