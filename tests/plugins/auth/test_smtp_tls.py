"""STARTTLS to the mail server checks its certificate: a server that cannot prove its name is
never handed the SMTP login or a message. Real parts: aiosmtpd with STARTTLS and a certificate
made by openssl."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import require
from tests.servers import free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    require(shutil.which("openssl") is not None, "openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_smtp(certificate):
    """An SMTP server that requires STARTTLS before AUTH and mail, collecting logins and mail."""
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
    except ImportError:
        require(False, "aiosmtpd is not installed")
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    class Handler:
        def __init__(self):
            self.messages, self.logins = [], []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Handler()

    def authenticator(server, session, envelope, mechanism, auth_data):
        handler.logins.append(auth_data.login.decode())
        return AuthResult(success=True)

    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


def _app(make_auth_app, port):
    return make_auth_app(
        {
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": True,
            "smtp_user": "mailer",
            "smtp_password": "s3cret-pass",
            "smtp_timeout": 5,
        }
    )


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "annex@example.com", "alice@example.com", "hi"
    message.set_content("hello")
    return message


def test_a_server_whose_certificate_is_not_trusted_gets_neither_the_login_nor_the_mail(
    make_auth_app, tls_smtp, monkeypatch
):
    from plugins.auth.mail import deliver

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with _app(make_auth_app, tls_smtp.port).app_context(), pytest.raises(ssl.SSLCertVerificationError):
        deliver(_message())
    time.sleep(0.2)
    assert tls_smtp.logins == [] and tls_smtp.messages == []


def test_a_trusted_certificate_carries_the_login_and_the_mail(
    make_auth_app, tls_smtp, certificate, monkeypatch
):
    from plugins.auth.mail import deliver

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # as a site owner with a private CA does
    with _app(make_auth_app, tls_smtp.port).app_context():
        assert deliver(_message()) is True
    assert tls_smtp.logins == ["mailer"]
    (envelope,) = tls_smtp.messages
    assert envelope.rcpt_tos == ["alice@example.com"]
