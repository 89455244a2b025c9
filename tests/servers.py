"""Real servers for tests: gunicorn running the app from a config file, on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKER_CLASSES = {"gthread": ["-k", "gthread", "--threads", "4"], "sync": ["-k", "sync"]}
GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"


_handed_out: set[int] = set()


def free_port() -> int:
    """A free port on 127.0.0.1, never the same twice in one test run (the OS may offer a port
    again as soon as it is closed, before the first server has bound it)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(value)


def write_toml(path: Path, config: dict[str, Any]) -> Path:
    """A config.toml from nested dicts (tables of scalars and lists)."""
    lines: list[str] = []

    def table(prefix: str, values: dict[str, Any]) -> None:
        scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
        if scalars:
            lines.append(f"[{prefix}]")
            lines.extend(f"{key} = {toml_value(value)}" for key, value in scalars.items())
        for key, value in values.items():
            if isinstance(value, dict):
                table(f"{prefix}.{key}" if prefix else key, value)

    for key, value in config.items():
        table(key, value)
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Server:
    """A running gunicorn; ``request`` speaks JSON to it."""

    process: subprocess.Popen
    port: int
    log: Path

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body) if body is not None else None
            sent = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=payload, headers={**sent, **(headers or {})})
            response = conn.getresponse()
            raw = response.read()
            data = (
                json.loads(raw)
                if raw and response.getheader("Content-Type", "").startswith("application/json")
                else None
            )
            return response.status, data, response
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def migrate(env: dict[str, str]) -> None:
    """``flask --app core migrate`` with exactly ``env``, as an operator runs it before a
    production start; fails the test with the command's output if it fails."""
    result = subprocess.run(
        [str(FLASK), "--app", "core", "migrate"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, f"flask migrate failed:\n{result.stdout}{result.stderr}"


def start_gunicorn(
    config: Path,
    workdir: Path,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    worker_class: str = "gthread",
    port: int | None = None,
    clean_env: bool = False,
    cwd: Path = ROOT,
) -> Server:
    """Start ``gunicorn 'core:create_app()'`` with ``config`` and wait until /api/health answers.

    ``worker_class`` is ``gthread`` (4 threads a worker) or ``sync`` (one request at a time).
    ``port`` is one from ``free_port()`` when the config must name it (``site.url``).
    ``clean_env`` keeps every ``ANNEX_*`` variable of the calling shell out of the server's.
    ``cwd`` is the working directory, which relative paths in the config are relative to.
    """
    port = port or free_port()
    log = workdir / f"gunicorn-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if not (clean_env and k.startswith("ANNEX"))}
    environment = {**inherited, "ANNEX_CONFIG": str(config), "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen(
        [str(GUNICORN), "-w", str(workers), *WORKER_CLASSES[worker_class], "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "core:create_app()"],
        cwd=cwd, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            healthy = server.request("GET", "/api/health")[0] == 200
        except OSError:
            healthy = False
        if healthy and process.poll() is None:  # our own gunicorn answered, not another on the port
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer in time: {log.read_text()[-3000:]}")
