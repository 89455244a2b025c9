"""The container image, built and run for real with podman (docs/deploy.md, "The container route").

One build per module, with the documented flags: ``--format docker`` (the OCI format drops the
HEALTHCHECK), a Python 3.11 base made by deploy/build_base.sh with debootstrap (the official
image cannot be pulled here; the base is cached under /var/cache/annex-ci), pip given this
machine's CA bundle and index by a read-only directory mounted over /root. Containers run as
documented: ``--read-only --cap-drop=ALL`` with a volume for /app/instance, runc with the
cgroupfs manager, ulimits within this process's own (raising one needs CAP_SYS_RESOURCE), and
host networking so that they reach the PostgreSQL on 127.0.0.1.

Needs root, podman, buildah, runc and debootstrap (.ci/run installs them); skips without them,
fails under ANNEX_TEST_REQUIRE_ALL=1.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, require
from tests.deploy.conftest import CONTAINERFILE, DEPLOY, PASSWORD, ROOT, free_port

pytestmark = pytest.mark.deploy

SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
TOOLS = {name: shutil.which(name, path=SEARCH) for name in ("podman", "buildah", "runc", "debootstrap")}
PODMAN = TOOLS["podman"]
#: podman's own options: runc (crun refuses this kernel's hybrid cgroups), no systemd here.
ENGINE = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"]
#: Seconds for the base (debootstrap, once per machine) and for the image build.
BASE_TIMEOUT = 1500
BUILD_TIMEOUT = 900
#: Seconds for a container to answer /api/health (migrations first).
START_TIMEOUT = 120
RUN_ID = uuid.uuid4().hex[:10]


def ulimits() -> list[str]:
    """``--ulimit`` options at or below this process's limits: runc cannot raise one without
    CAP_SYS_RESOURCE, and podman's defaults (nofile 1048576, …) are above them."""
    options = []
    for name, limit, cap in (
        ("nofile", resource.RLIMIT_NOFILE, 4096),
        ("nproc", resource.RLIMIT_NPROC, 2048),
    ):
        soft, hard = resource.getrlimit(limit)
        values = [value for value in (soft, hard, cap) if value != resource.RLIM_INFINITY]
        value = min(values)
        options += ["--ulimit", f"{name}={value}:{value}"]
    return options


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert PODMAN
    result = subprocess.run(
        [PODMAN, *ENGINE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def _pip_home(folder: Path) -> Path:
    """A home for the build's pip: this machine's CA bundle and index in ~/.config/pip/pip.conf.
    A directory mounted over /root leaves nothing in the image (a file mount leaves its empty
    mount point)."""
    home = folder / "piphome"
    (home / ".config" / "pip").mkdir(parents=True)
    bundle = next(
        (
            Path(candidate)
            for candidate in (
                os.environ.get("PIP_CERT"),
                _pip_setting("cert"),
                os.environ.get("SSL_CERT_FILE"),
                "/etc/ssl/certs/ca-certificates.crt",
            )
            if candidate and Path(candidate).is_file()
        ),
        None,
    )
    lines = ["[global]"]
    if bundle:
        shutil.copyfile(bundle, home / "ca-bundle.crt")
        lines.append("cert = /root/ca-bundle.crt")
    for key, variable in (("index-url", "PIP_INDEX_URL"), ("extra-index-url", "PIP_EXTRA_INDEX_URL")):
        value = os.environ.get(variable) or _pip_setting(key)
        if value:
            lines.append(f"{key} = {value}")
    timeout = os.environ.get("PIP_DEFAULT_TIMEOUT") or _pip_setting("timeout")
    lines.append(f"timeout = {timeout or 120}")
    (home / ".config" / "pip" / "pip.conf").write_text("\n".join(lines) + "\n")
    home.chmod(0o755)
    return home


def _pip_setting(key: str) -> str | None:
    parser = configparser.ConfigParser()
    parser.read(["/etc/pip.conf", "/etc/xdg/pip/pip.conf", Path.home() / ".config/pip/pip.conf"])
    return parser.get("global", key, fallback=None)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The image, built once for the module; removed afterwards."""
    missing = [name for name, path in TOOLS.items() if path is None]
    require(
        not missing, f"{', '.join(missing)} not installed (apt-get install podman buildah runc debootstrap)"
    )
    require(os.geteuid() == 0, "the image test runs podman as root (debootstrap needs it)")
    base = subprocess.run(
        [str(DEPLOY / "build_base.sh")],
        env={**os.environ, "PATH": SEARCH},
        capture_output=True,
        text=True,
        timeout=BASE_TIMEOUT,
        check=False,
    )
    assert base.returncode == 0, base.stderr[-4000:]
    base_image = base.stdout.strip().splitlines()[-1]
    tag = f"localhost/annex-test:{RUN_ID}"
    home = _pip_home(tmp_path_factory.mktemp("build"))
    try:
        started = time.monotonic()
        for attempt in (1, 2):  # once more if PyPI failed us; a broken Containerfile fails twice
            build = podman(
                "build",
                "--format", "docker",
                "--layers=false",
                "--network", "host",
                *ulimits(),
                "--build-arg", f"PYTHON_IMAGE={base_image}",
                "--volume", f"{home}:/root:ro",
                "--tag", tag,
                "--file", str(CONTAINERFILE),
                str(ROOT),
                timeout=BUILD_TIMEOUT,
                check=False,
            )  # fmt: skip
            if build.returncode == 0 or attempt == 2:
                break
            print(f"image build failed, retrying:\n{(build.stdout + build.stderr)[-3000:]}")
        assert build.returncode == 0, (build.stdout + build.stderr)[-6000:]
        print(f"image built in {time.monotonic() - started:.0f} s")
        yield tag
    finally:
        podman("rmi", "--force", tag, check=False, timeout=120)


class Containers:
    """Containers and volumes of one test; all removed at its end."""

    def __init__(self, image: str) -> None:
        self.image = image
        self.names: list[str] = []
        self.volumes: list[str] = []

    def volume(self) -> str:
        name = f"annex-test-{RUN_ID}-{len(self.volumes)}"
        podman("volume", "create", name)
        self.volumes.append(name)
        return name

    def start(self, port: int, volume: str, **env: str) -> str:
        """``podman run -d`` the image as docs/deploy.md documents, gunicorn on 127.0.0.1:port."""
        name = f"annex-test-{RUN_ID}-{len(self.names)}"
        self.names.append(name)
        podman("run", "--detach", "--name", name, *self.options(port, volume, env), self.image)
        return name

    def options(self, port: int, volume: str, env: dict[str, str]) -> list[str]:
        variables = {
            "ANNEX_SECRET_KEY": secrets.token_urlsafe(48),
            "ANNEX__SITE__URL": "https://annex.example.com",
            "ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS": "4",
            # PORT names a port nothing listens on: the health check must follow GUNICORN_BIND.
            "PORT": str(free_port()),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_GRACEFUL_TIMEOUT": "3",
            **env,
        }
        options = ["--read-only", "--cap-drop=ALL", "--network", "host", *ulimits()]
        options += ["--volume", f"{volume}:/app/instance"]
        for key, value in variables.items():
            options += ["--env", f"{key}={value}"]
        return options

    def logs(self, name: str) -> str:
        result = podman("logs", name, check=False)
        return result.stdout + result.stderr

    def remove(self) -> None:
        for name in self.names:
            podman("rm", "--force", "--time", "5", name, check=False, timeout=120)
        for volume in self.volumes:
            podman("volume", "rm", "--force", volume, check=False)


@pytest.fixture
def containers(image: str) -> Iterator[Containers]:
    running = Containers(image)
    try:
        yield running
    finally:
        running.remove()


def wait_healthy(containers: Containers, name: str, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/health", headers={"X-Forwarded-Proto": "https"}
    )
    while time.monotonic() < deadline:
        state = podman("inspect", "--format", "{{.State.Running}}", name, check=False).stdout.strip()
        if state == "false":
            raise AssertionError(f"{name} exited:\n{containers.logs(name)[-6000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{name} not healthy in {START_TIMEOUT} s:\n{containers.logs(name)[-6000:]}")


def post(port: int, path: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def applied_counts(log: str) -> list[int]:
    return [int(count) for count in re.findall(r"^(\d+) migration\(s\) applied", log, re.MULTILINE)]


def test_the_built_image_keeps_its_health_check(image: str) -> None:
    config = json.loads(podman("image", "inspect", image).stdout)[0]
    check = config.get("Healthcheck") or config.get("Config", {}).get("Healthcheck")
    assert check, "the image has no HEALTHCHECK (built without --format docker?)"
    assert check["Test"] == ["CMD", "python", "/usr/local/bin/annex-healthcheck"]
    assert config["Config"]["User"] == "10001:10001"
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())
    print(f"image size: {size / 1e6:.0f} MB")
    assert size < 400e6, f"the image is {size / 1e6:.0f} MB"


def test_the_image_serves_read_only_and_keeps_its_data_across_a_restart(containers: Containers) -> None:
    port = free_port()
    volume = containers.volume()
    name = containers.start(port, volume)
    wait_healthy(containers, name, port)

    # The image's own health check, at the bind GUNICORN_BIND names (not 0.0.0.0:$PORT).
    check = podman("healthcheck", "run", name, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert applied_counts(containers.logs(name))[0] > 0, containers.logs(name)

    registration = {"username": "grace", "email": "grace@example.com", "password": PASSWORD}
    status, body = post(port, "/api/auth/register", registration)
    assert status == 201, body
    status, body = post(port, "/api/auth/login", {"username": "grace", "password": PASSWORD})
    assert status == 200, body

    users = podman("exec", name, "annex", "users", "list")
    assert "grace" in users.stdout, users.stdout + users.stderr
    assert podman("exec", name, "id", "-u").stdout.strip() == "10001"

    podman("restart", "--time", "10", name, timeout=180)
    wait_healthy(containers, name, port)
    # Nothing left to migrate, and the account is still there (SQLite in the volume).
    assert applied_counts(containers.logs(name))[-1] == 0, containers.logs(name)
    status, body = post(port, "/api/auth/login", {"username": "grace", "password": PASSWORD})
    assert status == 200, body


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> str:
    """A fresh database on the machine's PostgreSQL (ANNEX_TEST_DATABASE_URL); dropped afterwards."""
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set (a PostgreSQL server for the replicas)")
    return request.getfixturevalue("new_pg_database")()


def test_two_replicas_started_at_once_on_postgresql_migrate_once(
    containers: Containers, pg_database: str
) -> None:
    ports = [free_port(), free_port()]
    volume = containers.volume()
    key = secrets.token_urlsafe(48)
    names = [
        containers.start(port, volume, ANNEX_DATABASE_URL=pg_database, ANNEX_SECRET_KEY=key) for port in ports
    ]
    for name, port in zip(names, ports, strict=True):
        wait_healthy(containers, name, port)
    counts = [applied_counts(containers.logs(name)) for name in names]
    assert all(len(count) == 1 for count in counts), counts
    total = sum(count[0] for count in counts)
    status = podman("exec", names[0], "flask", "--app", "core", "migrate", "--status").stdout
    states = re.findall(r"^(applied|pending) ", status, re.MULTILINE)
    assert states and set(states) == {"applied"}, status
    assert total == len(states), (counts, status)

    registration = {"username": "heidi", "email": "heidi@example.com", "password": PASSWORD}
    status_code, body = post(ports[0], "/api/auth/register", registration)
    assert status_code == 201, body
    status_code, body = post(ports[1], "/api/auth/login", {"username": "heidi", "password": PASSWORD})
    assert status_code == 200, body


def _run_once(containers: Containers, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    volume = containers.volume()
    name = f"annex-test-{RUN_ID}-{len(containers.names)}"
    containers.names.append(name)
    options = containers.options(free_port(), volume, env)
    started = time.monotonic()
    result = podman("run", "--name", name, *options, containers.image, timeout=240, check=False)
    return result, time.monotonic() - started


def test_a_configuration_error_is_printed_once_without_retrying(containers: Containers) -> None:
    result, seconds = _run_once(containers, ANNEX_SECRET_KEY="short")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert output.count("security.secret_key") == 1, output
    assert "retrying" not in output, output
    assert seconds < 60, f"{seconds:.0f} s"
