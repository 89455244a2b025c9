"""Mail files are readable (issue 17, point 3): the file backend writes 8bit UTF-8, a long link
stays whole on one line, and ``annex mail list|show|test`` read and test the configured backend."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from core import queue_email
from tests.plugins.auth.conftest import SITE_URL, link_token, post, signup, wait_for_mails

#: A reset page whose links are longer than a mail line (78): quoted-printable would fold them.
LONG_PAGE = "accounts/password/choose-a-new-password-for-your-annex-account.html"


def raw_files(mail_dir):
    return [path.read_bytes() for path in sorted(mail_dir.glob("*.eml"))]


def mail(app, *args):
    return app.test_cli_runner().invoke(args=["mail", *args])


def reset(client, mail_dir, username, count):
    assert post(client, "/api/auth/password-reset", {"email": f"{username}@example.com"}).status_code == 202
    return wait_for_mails(mail_dir, count)[-1]


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(auth={"reset_page": LONG_PAGE})


def test_a_reset_mail_is_8bit_and_its_long_link_is_one_line_of_the_file(client, mail_dir):
    signup(client, "alice")
    message = reset(client, mail_dir, "alice", 1)
    url = f"{SITE_URL}/{LONG_PAGE}?token={link_token(message)}"
    assert len(url) > 78
    (raw,) = raw_files(mail_dir)
    assert b"Content-Transfer-Encoding: 8bit" in raw
    assert url.encode() in raw.splitlines()  # the whole link, alone on its line, as the reader copies it
    assert b"=\n" not in raw and b"=\r\n" not in raw  # no quoted-printable soft line break


def test_non_ascii_text_of_any_plugin_is_written_as_utf_8(app, mail_dir):
    """Another plugin's message (default encoding: base64 for this text) through auth's backend."""
    message = EmailMessage()
    message["From"] = "Annex <no-reply@localhost>"
    message["To"] = "jose@example.com"
    message["Subject"] = "Grüße"
    long_link = f"{SITE_URL}/{LONG_PAGE}?token={'x' * 60}"
    message.set_content(f"Grüße, José — 日本語 à la carte.\n{long_link}\n")
    with app.app_context():
        queue_email(message)
    wait_for_mails(mail_dir, 1)
    (raw,) = raw_files(mail_dir)
    text = raw.decode("utf-8")
    assert "Content-Transfer-Encoding: 8bit" in text
    assert "Grüße, José — 日本語 à la carte." in text.splitlines()
    assert long_link in text.splitlines()


def test_mail_list_and_show_print_the_latest_messages_with_their_links(app, client, mail_dir):
    signup(client, "alice")
    signup(client, "bob")
    first = reset(client, mail_dir, "alice", 1)
    latest = reset(client, mail_dir, "bob", 2)

    listed = mail(app, "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("1\t") and "bob@example.com" in lines[0] and "Reset your password" in lines[0]
    assert lines[1].startswith("2\t") and "alice@example.com" in lines[1]
    assert latest["Date"] in lines[0]

    shown = mail(app, "show")
    assert shown.exit_code == 0, shown.output
    assert "To: bob@example.com" in shown.output.splitlines()
    assert "Subject: Reset your password" in shown.output.splitlines()
    assert "Someone asked to reset the password of your account." in shown.output
    links = shown.output.split("Links:", 1)[1].split()
    assert links == [f"{SITE_URL}/{LONG_PAGE}?token={link_token(latest)}"]

    second = mail(app, "show", "2")
    assert second.exit_code == 0, second.output
    assert f"{SITE_URL}/{LONG_PAGE}?token={link_token(first)}" in second.output.splitlines()[-1]


def test_mail_show_out_of_range_is_one_line_and_fails(app, client, mail_dir):
    signup(client, "alice")
    reset(client, mail_dir, "alice", 1)
    for number in ("2", "0"):
        result = mail(app, "show", number)
        assert result.exit_code != 0
        assert result.output.strip().splitlines() == [
            f"Error: no message {number}: there are 1 (1 is the latest)"
        ]


@pytest.mark.parametrize("command", [["list"], ["show"]])
def test_no_mail_is_one_line_and_fails(app, mail_dir, command):
    result = mail(app, *command)
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [f"Error: no mail in {mail_dir}"]


def test_mail_test_sends_through_the_configured_backend(app, mail_dir):
    result = mail(app, "test", "Operator@Example.com")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"sent a test message to operator@example.com (auth mail_backend file in {mail_dir})"
    ]
    (message,) = wait_for_mails(mail_dir, 1)
    assert message["To"] == "operator@example.com"
    assert re.search(r"test message", message.get_body(preferencelist=("plain",)).get_content())


def test_mail_test_refuses_a_bad_address_and_reports_a_failing_backend(make_auth_app, tmp_path):
    app = make_auth_app(
        auth={"mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": 9, "smtp_timeout": 2}
    )
    bad = mail(app, "test", "not-an-address")
    assert bad.exit_code != 0
    assert bad.output.strip().splitlines() == ["Error: address: not a valid email address"]
    refused = mail(app, "test", "operator@example.com")
    assert refused.exit_code != 0
    (line,) = refused.output.strip().splitlines()
    assert line.startswith("Error: not sent: ConnectionRefusedError")
