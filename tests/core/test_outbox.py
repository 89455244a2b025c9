"""Core's outbox (``core.queue_email``): mail is stored in the caller's transaction and delivered
through the ``send_email`` hook by a sender thread, with retries; several senders draining one
table deliver each message once; a command's mail leaves before the command ends."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid

import click
import pytest
from flask import Blueprint
from flask.cli import with_appcontext

from core import ApiError, endpoint, hookimpl, queue_email, read_json_object, transaction
from tests.conftest import PG_URL, require


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "tests@example.com"
    mail["To"] = to
    mail["Subject"] = "hello"
    mail["Message-ID"] = make_msgid(domain="tests")
    mail.set_content(f"hello {to}\n")
    return mail


class Mailbox:
    """A third-party plugin: a mail backend that can be "down", a route and a command that queue."""

    name = "mailbox"

    def __init__(self) -> None:
        self.down = False
        self.received: list[EmailMessage] = []
        self.attempts = 0
        self.lock = threading.Lock()
        self.blueprint = Blueprint("mailbox", __name__, url_prefix="/api/mailbox")

        @self.blueprint.post("")
        @endpoint()
        def send():
            body = read_json_object()
            with transaction():
                queue_email(message(body["to"]))
                if body.get("roll_back"):
                    raise ApiError(409, "rolled_back", "the request failed after queueing")
            return {"queued": True}

        @click.command("mailbox-send")
        @click.argument("to")
        @with_appcontext
        def command(to: str) -> None:
            queue_email(message(to))

        self.command = command

    @hookimpl
    def register_routes(self, app):
        return self.blueprint

    @hookimpl
    def register_commands(self, cli):
        cli.add_command(self.command)

    @hookimpl
    def send_email(self, message):
        with self.lock:
            self.attempts += 1
            if self.down:
                raise ConnectionRefusedError("the mail server is down")
            self.received.append(message)
        return True

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} of {count} message(s) arrived"
        return list(self.received)


FAST_RETRIES = {"outbox": {"retry_delay": 0.2, "retry_max_delay": 0.2}}


def rows(app) -> list[dict]:
    with app.app_context():
        db = app.extensions["annex"].db
        found = [dict(row) for row in db.query("SELECT * FROM annex_outbox ORDER BY id")]
    return found


def test_a_request_answers_before_the_mail_leaves_and_a_rolled_back_one_sends_nothing(make_app):
    mailbox = Mailbox()
    client = make_app(plugins=[mailbox]).test_client()
    assert client.post("/api/mailbox", json={"to": "kept@example.com"}).status_code == 200
    assert client.post("/api/mailbox", json={"to": "gone@example.com", "roll_back": True}).status_code == 409
    (delivered,) = mailbox.wait_for(1)
    assert delivered["To"] == "kept@example.com"
    assert delivered.get_content() == "hello kept@example.com\n"
    time.sleep(0.3)
    assert len(mailbox.received) == 1


def test_a_refused_message_is_retried_until_it_leaves_and_then_not_kept(make_app, caplog):
    mailbox = Mailbox()
    mailbox.down = True
    app = make_app(FAST_RETRIES, plugins=[mailbox])
    with caplog.at_level(logging.WARNING, logger="annex.outbox"):
        app.test_client().post("/api/mailbox", json={"to": "later@example.com"})
        deadline = time.monotonic() + 5
        while mailbox.attempts < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mailbox.attempts >= 3
        mailbox.down = False
        (delivered,) = mailbox.wait_for(1)
    assert delivered["To"] == "later@example.com"
    assert "not sent (attempt 1): ConnectionRefusedError" in caplog.text
    assert "Traceback" not in caplog.text
    time.sleep(0.2)
    (row,) = rows(app)
    assert (row["state"], row["message"]) == ("sent", None)  # no mailed link lingers in the table


def test_a_message_is_given_up_after_max_attempts(make_app, caplog):
    mailbox = Mailbox()
    mailbox.down = True
    app = make_app({"outbox": {"retry_delay": 0.05, "retry_max_delay": 0.05, "max_attempts": 3}}, [mailbox])
    with caplog.at_level(logging.WARNING, logger="annex.outbox"):
        app.test_client().post("/api/mailbox", json={"to": "never@example.com"})
        deadline = time.monotonic() + 5
        while "given up" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert "message 1 to never@example.com given up after 3 attempts" in caplog.text
    time.sleep(0.3)
    assert mailbox.attempts == 3
    (row,) = rows(app)
    assert (row["state"], row["attempts"]) == ("failed", 3)


def test_two_senders_on_one_database_deliver_each_message_once(make_app):
    mailbox = Mailbox()
    mailbox.down = True
    first = make_app(FAST_RETRIES, plugins=[mailbox])
    second = make_app(FAST_RETRIES, plugins=[mailbox])  # another process's app, same database
    addresses = [f"user{i}@example.com" for i in range(30)]
    for i, address in enumerate(addresses):
        (first if i % 2 else second).test_client().post("/api/mailbox", json={"to": address})
    time.sleep(0.3)  # both senders now retry the same rows
    mailbox.down = False
    mailbox.wait_for(30)
    time.sleep(0.5)
    ids = [delivered["Message-ID"] for delivered in mailbox.received]
    assert len(ids) == len(set(ids)) == 30
    assert sorted(str(delivered["To"]) for delivered in mailbox.received) == sorted(addresses)


def test_mail_left_by_an_earlier_process_is_delivered_by_the_next(make_app):
    mailbox = Mailbox()
    mailbox.down = True
    earlier = make_app(FAST_RETRIES, plugins=[mailbox])
    earlier.test_client().post("/api/mailbox", json={"to": "left@example.com"})
    time.sleep(0.3)
    earlier.extensions["annex"].db.close()  # the process ends with the message still queued
    mailbox.down = False
    time.sleep(0.5)
    assert mailbox.received == []
    nxt = make_app(FAST_RETRIES, plugins=[mailbox])
    assert nxt.test_client().get("/api/health").status_code == 200  # any first request
    (delivered,) = mailbox.wait_for(1)
    assert delivered["To"] == "left@example.com"


def test_a_command_delivers_its_mail_before_it_ends(make_app):
    mailbox = Mailbox()
    app = make_app(plugins=[mailbox])
    result = app.test_cli_runner().invoke(args=["mailbox-send", "cli@example.com"])
    assert result.exit_code == 0, result.output
    assert [str(delivered["To"]) for delivered in mailbox.received] == ["cli@example.com"]


def test_a_command_queueing_inside_a_transaction_delivers_when_its_context_ends(make_app):
    mailbox = Mailbox()
    app = make_app(plugins=[mailbox])
    with app.app_context():
        with transaction():
            queue_email(message("tx@example.com"))
        assert mailbox.received == []  # committed, not yet sent: the context is still open
    assert [str(delivered["To"]) for delivered in mailbox.received] == ["tx@example.com"]


class Proxy:
    """A TCP forwarder to PostgreSQL that the test can cut (the database "goes away") and restore."""

    def __init__(self, target_port: int):
        from tests.servers import free_port

        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.sockets: list = []
        self.listener = None
        self.restore()

    def restore(self) -> None:
        import socket

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        import socket

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        import socket

        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: no new peers
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.sockets = []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # replaced below by PostgreSQL
def test_a_database_outage_costs_one_warning_and_the_mail_then_leaves(make_app, new_pg_database, caplog):
    """Staged on PostgreSQL (a proxy in front of it is cut while a retry is pending), so it runs
    once, on PostgreSQL only."""
    from sqlalchemy.engine import make_url

    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: the outage is staged on PostgreSQL")
    url = make_url(new_pg_database())
    proxy = Proxy(url.port or 5432)
    mailbox = Mailbox()
    app = make_app(
        {**FAST_RETRIES, "database": {"url": url.set(port=proxy.port).render_as_string(hide_password=False)}},
        plugins=[mailbox],
    )
    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING, logger="annex.outbox"):
            mailbox.down = True
            client.post("/api/mailbox", json={"to": "patient@example.com"})
            deadline = time.monotonic() + 5
            while mailbox.attempts < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            proxy.cut()
            time.sleep(12)  # the sender's retries meet no database, at least twice
            assert caplog.text.count("outbox: cannot reach the database") == 1, caplog.text
            mailbox.down = False
            proxy.restore()
            (delivered,) = mailbox.wait_for(1, timeout=15)
            deadline = time.monotonic() + 5  # logged once the sender's round ends
            while "answers again" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.02)
        assert delivered["To"] == "patient@example.com"
        assert "outbox: the database answers again" in caplog.text
        assert "Traceback" not in caplog.text
    finally:
        proxy.cut()
