"""Slow clients against gunicorn alone and behind nginx (issue 15 point 17).

    .venv/bin/python bench/slow_clients.py              (as root, with nginx and openssl installed)

The production app (deploy/entrypoint.sh with deploy/config.toml, gunicorn gthread, by default
2 workers x 4 threads as in the image) is started on 127.0.0.1 with a temporary SQLite database,
and deploy/nginx.conf is rendered in front of it. For each target, ``--slow`` connections
(half slowloris: a request whose headers never end, one more header byte every few seconds;
half slow body: a register POST whose declared body arrives a byte at a time) are held open
(reopened when the server drops them) while ``--requests`` normal requests (GET /api/health,
a few a second, each given ``--timeout`` seconds) measure what is left for everyone else.
Prints the share of normal requests answered 200, without and with the slow clients.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


class Target:
    """Where requests go: plain HTTP to gunicorn, or HTTPS to nginx."""

    def __init__(self, name: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.name, self.port, self.tls = name, port, tls

    def connect(self, timeout: float) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
        return sock

    def health(self, timeout: float) -> bool:
        if self.tls is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        else:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout, context=self.tls
            )
        try:
            # Straight to gunicorn, the client claims https as nginx would (trusted_proxies = 1).
            connection.request("GET", "/api/health", headers={"X-Forwarded-Proto": "https"})
            answer = connection.getresponse()
            answer.read()
            return answer.status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()


def slow_client(target: Target, body: bool, stop: threading.Event, interval: float) -> None:
    """One slow connection, reopened whenever the server closes it, until ``stop``."""
    while not stop.is_set():
        try:
            sock = target.connect(timeout=10)
            if body:
                sock.sendall(
                    b"POST /api/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"
                )
            else:
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while not stop.wait(interval):
                sock.sendall(b" " if body else b"X-a: b\r\n")
        except OSError:
            stop.wait(0.5)
        finally:
            with contextlib.suppress(OSError, UnboundLocalError):
                sock.close()


def measure(target: Target, slow: int, requests: int, timeout: float, interval: float) -> float:
    """Share of ``requests`` normal requests answered 200 while ``slow`` slow clients hang on."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=slow_client, args=(target, n % 2 == 1, stop, interval), daemon=True)
        for n in range(slow)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2 if slow else 0)  # let them connect and take their threads
    results: list[bool] = []
    lock = threading.Lock()

    def one() -> None:
        ok = target.health(timeout)
        with lock:
            results.append(ok)

    # A few requests a second, each on its own thread, so that one that hangs delays no other.
    normal = []
    for _ in range(requests):
        thread = threading.Thread(target=one, daemon=True)
        thread.start()
        normal.append(thread)
        time.sleep(0.2)
    for thread in normal:
        thread.join(timeout + 5)
    stop.set()
    for thread in threads:
        thread.join(15)
    return sum(results) / max(len(results), 1)


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--slow", type=int, default=50, help="slow connections (default 50)")
    cli.add_argument("--requests", type=int, default=40, help="normal requests per measurement")
    cli.add_argument("--timeout", type=float, default=5.0, help="seconds a normal request may take")
    cli.add_argument("--interval", type=float, default=3.0, help="seconds between a slow client's bytes")
    cli.add_argument("--workers", default="2")
    cli.add_argument("--threads", default="4")
    args = cli.parse_args()
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    with_nginx = Path(nginx_bin).exists() and shutil.which("openssl") and os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="annex-slow-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        app_port, https_port, http_port = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNEX", "GUNICORN"))}
        env.update(
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            HOME=str(folder),
            ANNEX_CONFIG=str(ROOT / "deploy" / "config.toml"),
            ANNEX_SECRET_KEY=secrets.token_urlsafe(48),
            ANNEX_DATABASE_URL=f"sqlite:///{folder / 'annex.db'}",
            ANNEX__SITE__URL=f'"https://127.0.0.1:{https_port}"',
            ANNEX__PLUGINS__CONTENT__ROOT=f'"{ROOT / "protected"}"',
            ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS="4",
            ANNEX__RATE_LIMITS__ENABLED="false",  # the point is threads, not rate limits
            GUNICORN_BIND=f"127.0.0.1:{app_port}",
            GUNICORN_WORKERS=args.workers,
            GUNICORN_THREADS=args.threads,
            GUNICORN_TMP_DIR=str(folder),
        )
        log = (folder / "app.log").open("wb")
        processes.append(
            subprocess.Popen(
                ["/bin/sh", str(ROOT / "deploy" / "entrypoint.sh")],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        direct = Target("gunicorn alone", app_port, None)
        wait_for(lambda: direct.health(2), "gunicorn")
        targets = [direct]
        if with_nginx:
            key, cert = folder / "key.pem", folder / "cert.pem"
            openssl = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
            openssl += [
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ]
            subprocess.run(
                [*openssl, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True
            )
            (folder / "temp").mkdir()
            options = {
                "server-name": "127.0.0.1",
                "listen-address": "127.0.0.1",
                "https-port": str(https_port),
                "http-port": str(http_port),
                "upstream": f"127.0.0.1:{app_port}",
                "site-root": str(ROOT / "site"),
                "protected-root": str(ROOT / "protected"),
                "certificate": str(cert),
                "certificate-key": str(key),
                "user": "root",
                "pid": str(folder / "nginx.pid"),
                "log-dir": str(folder),
                "temp-dir": str(folder / "temp"),
                "acme-root": str(folder),
                "output": str(folder / "nginx.conf"),
            }
            render = [sys.executable, str(ROOT / "deploy" / "render_nginx.py")]
            render += [word for name, value in options.items() for word in (f"--{name}", value)]
            subprocess.run(render, check=True, capture_output=True)
            nginx = [
                nginx_bin,
                "-p",
                str(folder),
                "-c",
                str(folder / "nginx.conf"),
                "-e",
                str(folder / "e.log"),
            ]
            processes.append(subprocess.Popen([*nginx, "-g", "daemon off;"], cwd=folder))
            tls = ssl.create_default_context(cafile=str(folder / "cert.pem"))
            behind = Target("behind nginx", https_port, tls)
            wait_for(lambda: behind.health(2), "nginx")
            targets.append(behind)
        else:
            print("nginx, openssl or root missing: measuring gunicorn alone", file=sys.stderr)
        print(
            f"gunicorn gthread {args.workers} workers x {args.threads} threads; {args.slow} slow connections"
        )
        for target in targets:
            quiet = measure(target, 0, args.requests, args.timeout, args.interval)
            loaded = measure(target, args.slow, args.requests, args.timeout, args.interval)
            print(f"{target.name:15}  without: {quiet:6.1%}   with {args.slow} slow clients: {loaded:6.1%}")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
