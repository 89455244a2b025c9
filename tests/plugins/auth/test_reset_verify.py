"""Password reset and email verification, end to end through the mail backends."""

from __future__ import annotations

import logging
import re
import socket
import time

import pytest

from tests.conftest import require
from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    Recorder,
    assert_error,
    assert_token_refused,
    expire_stored,
    expiries_around,
    field_errors,
    link_token,
    login,
    mails,
    post,
    probe,
    signin,
    signup,
    text_of,
    wait_for_mails,
)

THIRTY_MINUTES = 1800


def request_reset(client, address="alice@example.com", **kwargs):
    return post(client, "/api/auth/password-reset", {"email": address}, **kwargs)


def confirm_reset(client, token, password=NEW_PASSWORD):
    return post(client, "/api/auth/password-reset/confirm", {"token": token, "new_password": password})


def request_verification(client, token):
    return post(client, "/api/auth/verify-email", token=token)


def confirm_verification(client, token, **kwargs):
    return post(client, "/api/auth/verify-email/confirm", {"token": token}, **kwargs)


@pytest.fixture
def account(client):
    return signup(client, "alice")


def reset_token(client, mail_dir, address="alice@example.com"):
    before = len(mails(mail_dir))
    assert request_reset(client, address).status_code == 202
    return link_token(wait_for_mails(mail_dir, before + 1)[-1])


# password reset ------------------------------------------------------------------------------------


def test_a_reset_request_answers_202_and_mails_a_link(client, account, mail_dir):
    response = request_reset(client)
    assert response.status_code == 202
    (message,) = wait_for_mails(mail_dir, 1)
    assert "alice@example.com" in message["To"]
    assert message["From"] and message["Subject"]
    assert re.search(r"http://127\.0\.0\.1:5000/reset-password\.html\?token=", text_of(message))
    assert link_token(message)


def test_a_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(client, account, mail_dir):
    known = request_reset(client, "alice@example.com")
    wait_for_mails(mail_dir, 1)
    unknown = request_reset(client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 202
    assert unknown.get_data() == known.get_data()
    time.sleep(0.3)
    assert len(mails(mail_dir)) == 1


def test_a_reset_request_matches_the_email_case_insensitively(client, account, mail_dir):
    assert request_reset(client, "ALICE@Example.com").status_code == 202
    (message,) = wait_for_mails(mail_dir, 1)
    assert "alice@example.com" in message["To"].lower()


def test_confirming_a_reset_sets_the_new_password(client, account, mail_dir):
    token = reset_token(client, mail_dir)
    response = confirm_reset(client, token)
    assert response.status_code == 204
    assert_error(login(client, "alice", PASSWORD), 401, "invalid_credentials")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_confirming_a_reset_revokes_every_session(client, account, mail_dir):
    other = signin(client, "alice")
    token = reset_token(client, mail_dir)
    assert confirm_reset(client, token).status_code == 204
    for session in (account, other):
        assert_token_refused(probe(client, session.access), "token_revoked")


def test_a_reset_token_is_single_use(client, account, mail_dir):
    token = reset_token(client, mail_dir)
    assert confirm_reset(client, token).status_code == 204
    assert_error(confirm_reset(client, token, "third-Password-31"), 400, "invalid_token")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_an_unknown_reset_token_is_400(client, account):
    assert_error(confirm_reset(client, "made-up-token"), 400, "invalid_token")


def test_a_tampered_reset_token_is_400(client, account, mail_dir):
    token = reset_token(client, mail_dir)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_error(confirm_reset(client, tampered), 400, "invalid_token")
    assert confirm_reset(client, token).status_code == 204


def test_a_reset_token_is_valid_for_30_minutes(app, client, account, mail_dir):
    before = set(expiries_around(app, THIRTY_MINUTES))
    token = reset_token(client, mail_dir)
    stored = [found for found in expiries_around(app, THIRTY_MINUTES) if found not in before]
    assert stored, "no stored expiry 30 minutes after the reset request"
    expire_stored(app, stored, THIRTY_MINUTES + 60)
    assert_error(confirm_reset(client, token), 400, "invalid_token")
    assert login(client, "alice", PASSWORD).status_code == 200


def test_a_reset_token_shortly_before_expiry_still_works(app, client, account, mail_dir):
    before = set(expiries_around(app, THIRTY_MINUTES))
    token = reset_token(client, mail_dir)
    stored = [found for found in expiries_around(app, THIRTY_MINUTES) if found not in before]
    assert stored, "no stored expiry 30 minutes after the reset request"
    expire_stored(app, stored, THIRTY_MINUTES - 120)  # two minutes left
    assert confirm_reset(client, token).status_code == 204


def test_a_weak_new_password_is_422_and_keeps_the_token_usable(client, account, mail_dir):
    token = reset_token(client, mail_dir)
    assert "new_password" in field_errors(confirm_reset(client, token, "password123"))
    assert confirm_reset(client, token).status_code == 204


def test_a_reset_token_of_one_user_only_resets_that_user(client, account, mail_dir):
    signup(client, "bob")
    token = reset_token(client, mail_dir, "bob@example.com")
    assert confirm_reset(client, token).status_code == 204
    assert login(client, "alice", PASSWORD).status_code == 200
    assert login(client, "bob", NEW_PASSWORD).status_code == 200


def test_the_reset_mail_never_contains_the_password(client, account, mail_dir):
    reset_token(client, mail_dir)
    (message,) = mails(mail_dir)
    assert PASSWORD not in message.as_string()


def test_reset_confirm_unknown_fields_are_422(client, account, mail_dir):
    token = reset_token(client, mail_dir)
    body = {"token": token, "new_password": NEW_PASSWORD, "username": "bob"}
    assert "username" in field_errors(post(client, "/api/auth/password-reset/confirm", body))


# email verification ----------------------------------------------------------------------------------


def verification_token(client, account, mail_dir):
    before = len(mails(mail_dir))
    assert request_verification(client, account.access).status_code == 202
    return link_token(wait_for_mails(mail_dir, before + 1)[-1])


def test_verify_email_mails_a_link_to_the_account(client, account, mail_dir):
    assert request_verification(client, account.access).status_code == 202
    (message,) = wait_for_mails(mail_dir, 1)
    assert "alice@example.com" in message["To"]
    assert re.search(r"http://127\.0\.0\.1:5000/verify-email\.html\?token=", text_of(message))


def test_confirming_the_verification_sets_email_verified(client, account, mail_dir):
    token = verification_token(client, account, mail_dir)
    assert confirm_verification(client, token).status_code == 204
    assert login(client, "alice").get_json()["user"]["email_verified"] is True


def test_a_verification_token_is_single_use(client, account, mail_dir):
    token = verification_token(client, account, mail_dir)
    assert confirm_verification(client, token).status_code == 204
    assert_error(confirm_verification(client, token), 400, "invalid_token")


def test_an_unknown_verification_token_is_400(client, account):
    assert_error(confirm_verification(client, "made-up-token"), 400, "invalid_token")
    assert login(client, "alice").get_json()["user"]["email_verified"] is False


def test_a_verification_token_is_valid_for_30_minutes(app, client, account, mail_dir):
    before = set(expiries_around(app, THIRTY_MINUTES))
    token = verification_token(client, account, mail_dir)
    stored = [found for found in expiries_around(app, THIRTY_MINUTES) if found not in before]
    assert stored, "no stored expiry 30 minutes after the verification request"
    expire_stored(app, stored, THIRTY_MINUTES + 60)
    assert_error(confirm_verification(client, token), 400, "invalid_token")
    assert login(client, "alice").get_json()["user"]["email_verified"] is False


def test_verify_email_needs_authentication(client, account, mail_dir):
    assert_error(post(client, "/api/auth/verify-email"), 401, "unauthorized")
    time.sleep(0.2)
    assert mails(mail_dir) == []


def test_reset_and_verification_tokens_are_not_interchangeable(client, account, mail_dir):
    verify = verification_token(client, account, mail_dir)
    reset = reset_token(client, mail_dir)
    assert_error(confirm_reset(client, verify), 400, "invalid_token")
    assert_error(confirm_verification(client, reset), 400, "invalid_token")
    assert login(client, "alice", PASSWORD).status_code == 200
    assert login(client, "alice").get_json()["user"]["email_verified"] is False


def test_links_use_site_url_and_the_configured_pages_not_the_host_header(make_auth_app, mail_dir):
    app = make_auth_app(
        {"reset_page": "account/reset", "verify_page": "account/verify"},
        config={"site": {"url": "https://www.example.org"}},
    )
    client = app.test_client(use_cookies=False)
    account = signup(client)
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    assert request_reset(client, headers=headers).status_code == 202
    assert post(client, "/api/auth/verify-email", token=account.access, headers=headers).status_code == 202
    texts = [text_of(m) for m in wait_for_mails(mail_dir, 2)]
    assert any("https://www.example.org/account/reset?token=" in t for t in texts)
    assert any("https://www.example.org/account/verify?token=" in t for t in texts)
    assert not any("evil.example" in t for t in texts)
    for message in mails(mail_dir):
        assert link_token(message, "https://www.example.org")


# backends ---------------------------------------------------------------------------------------------


def test_the_file_backend_writes_rfc_5322_messages(client, account, mail_dir):
    request_reset(client)
    (message,) = wait_for_mails(mail_dir, 1)
    # RFC 5322 section 3.6: Date and From are mandatory.
    for header in ("From", "To", "Subject", "Date"):
        assert message[header], header
    assert not message.defects


def test_the_console_backend_logs_a_usable_message(make_auth_app, caplog):
    app = make_auth_app({"mail_backend": "console"})
    client = app.test_client(use_cookies=False)
    signup(client)
    pattern = re.compile(r"http://127\.0\.0\.1:5000/[^\s?]*\?token=([^\s&\"'<>]+)")
    with caplog.at_level(logging.DEBUG):
        assert request_reset(client).status_code == 202
        deadline = time.monotonic() + 5  # the outbox's sender logs it, after the answer
        while not pattern.search(caplog.text) and time.monotonic() < deadline:
            time.sleep(0.05)
    found = pattern.search(caplog.text)
    assert found, caplog.text
    assert confirm_reset(client, found.group(1)).status_code == 204


def test_a_plugin_implementing_send_email_receives_the_messages(make_auth_app, mail_dir):
    recorder = Recorder()
    recorder.catch_mail = True
    app = make_auth_app({"mail_backend": "console"}, plugins=[recorder])
    client = app.test_client(use_cookies=False)
    signup(client)
    assert request_reset(client).status_code == 202
    deadline = time.monotonic() + 5
    while not recorder.mail and time.monotonic() < deadline:
        time.sleep(0.05)
    (message,) = recorder.mail
    assert "alice@example.com" in message["To"]
    assert confirm_reset(client, link_token(message)).status_code == 204


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) on 127.0.0.1 collecting what it receives."""
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
    except ImportError:
        require(False, "aiosmtpd is not installed")

    class Handler:
        def __init__(self):
            self.messages = []
            self.logins = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Handler()

    def authenticator(server, session, envelope, mechanism, auth_data):
        handler.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = (auth_data.login, auth_data.password) == (b"mailer", b"s3cret-pass")
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=False,
        auth_require_tls=False,
    )
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


def wait_for_smtp(handler, count=1, timeout=10):
    deadline = time.monotonic() + timeout
    while len(handler.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(handler.messages) >= count, "the SMTP server received nothing"
    return handler.messages


def smtp_message(envelope):
    import email
    import email.policy

    return email.message_from_bytes(
        envelope.original_content or envelope.content, policy=email.policy.default
    )


def test_the_smtp_backend_delivers_through_a_local_server(make_auth_app, smtp_server):
    app = make_auth_app(
        {
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_starttls": False,
        }
    )
    client = app.test_client(use_cookies=False)
    signup(client)
    assert request_reset(client).status_code == 202
    (envelope,) = wait_for_smtp(smtp_server)
    assert envelope.rcpt_tos == ["alice@example.com"]
    message = smtp_message(envelope)
    assert confirm_reset(client, link_token(message)).status_code == 204
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_the_smtp_backend_logs_in_with_user_and_password(make_auth_app, smtp_server):
    app = make_auth_app(
        {
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_user": "mailer",
            "smtp_password": "s3cret-pass",
            "smtp_starttls": False,
        }
    )
    client = app.test_client(use_cookies=False)
    account = signup(client)
    assert request_verification(client, account.access).status_code == 202
    wait_for_smtp(smtp_server)
    assert smtp_server.logins == [("mailer", "s3cret-pass")]


def test_an_unreachable_smtp_server_does_not_reveal_anything(make_auth_app):
    app = make_auth_app(
        {"mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_timeout": 2}
    )
    client = app.test_client(use_cookies=False)
    signup(client)
    known = request_reset(client, "alice@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.get_data() == unknown.get_data()


def test_an_unreachable_smtp_server_still_accepts_verification_and_retries(make_auth_app):
    """The message waits in the outbox while the server is away and leaves once it is back."""
    port = free_port()
    app = make_auth_app(
        {"mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 2},
        config={"outbox": {"retry_delay": 0.5, "retry_max_delay": 0.5}},
    )
    client = app.test_client(use_cookies=False)
    account = signup(client)
    assert request_verification(client, account.access).status_code == 202
    time.sleep(1)  # at least one attempt failed meanwhile
    from aiosmtpd.controller import Controller

    class Handler:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        (envelope,) = wait_for_smtp(Handler)
    finally:
        controller.stop()
    assert confirm_verification(client, link_token(smtp_message(envelope))).status_code == 204
