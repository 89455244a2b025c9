"""examples/annex-apikeys, installed the way a site owner installs it: through its entry point.

The example is a real third-party package. It is pip-installed into a folder of its own, enabled
in a config.toml, served, and its own test suite is run against the installed copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "annex-apikeys"
PYTHON = sys.executable

# Runs in a subprocess with the installed example on PYTHONPATH; prints what a script author sees.
SERVE = textwrap.dedent("""
    import json
    from core import create_app

    app = create_app()
    client = app.test_client()
    seen = {}
    body = {"username": "scripter", "email": "s@example.com", "password": "a long enough password"}
    token = client.post("/api/auth/register", json=body).get_json()["access_token"]
    bearer = {"Authorization": "Bearer " + token}

    created = client.post("/api/apikeys", json={"name": "cron"}, headers=bearer)
    seen["create"] = [created.status_code, sorted(created.get_json())]
    key = created.get_json()["key"]
    by_key = {"Authorization": "ApiKey " + key}

    profile = client.get("/api/user/profile", headers=by_key)
    seen["profile"] = [profile.status_code, profile.get_json().get("username")]
    put = client.put("/api/user/data/x", json={"value": [1, 2]}, headers=by_key)
    seen["put"] = put.status_code
    seen["read_back_by_token"] = client.get("/api/user/data/x", headers=bearer).get_json()["value"]

    listed = client.get("/api/apikeys", headers=by_key)
    prefix = created.get_json()["prefix"]
    seen["list"] = [[k["name"], k["prefix"] == prefix] for k in listed.get_json()["keys"]]
    seen["list_shows_key"] = key in listed.get_data(as_text=True)

    second = client.post("/api/apikeys", json={"name": "spare"}, headers=bearer).get_json()
    third = client.post("/api/apikeys", json={"name": "one too many"}, headers=bearer)
    seen["past_limit"] = [third.status_code, third.get_json()["error"]["code"]]

    deleted = client.delete("/api/apikeys/%d" % created.get_json()["id"], headers=bearer)
    seen["delete"] = deleted.status_code
    after = client.get("/api/user/profile", headers=by_key)
    seen["after_delete"] = [after.status_code, after.get_json()["error"]["code"]]

    spare = {"Authorization": "ApiKey " + second["key"]}
    before = client.get("/api/user/data/x", headers=spare).status_code
    revoked = app.test_cli_runner().invoke(args=["apikeys", "revoke", str(second["id"])])
    after_cli = client.get("/api/user/data/x", headers=spare).status_code
    seen["cli_revoke"] = [before, revoked.exit_code, after_cli]
    print(json.dumps(seen))
""")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example pip-installed into its own folder (from a copy: the build writes into its source)."""
    tmp = tmp_path_factory.mktemp("apikeys")
    package = tmp / "annex-apikeys"
    shutil.copytree(
        EXAMPLE, package, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".pytest_cache")
    )
    site = tmp / "site"
    install = subprocess.run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    assert (site / "annex_apikeys" / "__init__.py").is_file()
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    return tmp, package, env


def test_installed_example_serves_api_keys_to_other_plugins_routes(installed):
    tmp, _package, env = installed
    config = tmp / "config.toml"
    config.write_text(
        textwrap.dedent(f"""
        [site]
        static_dir = ""
        [database]
        url = "sqlite:///{tmp}/annex.db"
        [rate_limits]
        enabled = false
        [plugins]
        enabled = ["auth", "profile", "content", "apikeys"]
        [plugins.auth]
        bcrypt_rounds = 4
        [plugins.apikeys]
        max_keys_per_user = 2
        """)
    )
    served = subprocess.run(
        [PYTHON, "-c", SERVE],
        env={**env, "ANNEX_CONFIG": str(config)},
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert served.returncode == 0, served.stderr
    seen = json.loads(served.stdout.strip().splitlines()[-1])
    assert seen == {
        "create": [201, ["created_at", "expires_at", "id", "key", "name", "prefix"]],
        "profile": [200, "scripter"],
        "put": 201,
        "read_back_by_token": [1, 2],
        "list": [["cron", True]],
        "list_shows_key": False,
        "past_limit": [409, "conflict"],
        "delete": 204,
        "after_delete": [401, "unauthorized"],
        "cli_revoke": [200, 0, 401],
    }


def test_installed_example_passes_its_own_tests(installed):
    tmp, package, env = installed
    tests = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env=env,
        cwd=tmp,  # not the package folder: the tests import the installed annex_apikeys
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    summary = tests.stdout.strip().splitlines()[-1]
    counted = re.fullmatch(r"(\d+) passed(, \d+ warnings?)? in .*", summary)
    assert counted is not None, tests.stdout
    assert int(counted.group(1)) >= 30  # the whole suite ran, not a stray file
