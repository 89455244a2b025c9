"""``plugin new``: the generated package installs through its entry point, serves, and passes its tests."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.scaffold import write_package

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def test_plugin_names_are_checked(tmp_path):
    with pytest.raises(ValueError, match="lower-case"):
        write_package("Bad-Name", tmp_path / "x")


def test_command_writes_the_package(app, tmp_path):
    target = tmp_path / "pkg"
    result = app.test_cli_runner().invoke(args=["plugin", "new", "notes", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    package = target / "annex_notes"
    modules = {path.name for path in package.glob("*.py")}
    assert modules == {"__init__.py", "routes.py", "schema.py", "settings.py", "items.py", "cli.py"}
    # The anatomy docs/plugins.md teaches: __init__ holds hook implementations and nothing else.
    tree = ast.parse((package / "__init__.py").read_text())
    defined = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign))]
    assert defined and all(
        isinstance(node, ast.FunctionDef) and [ast.unparse(d) for d in node.decorator_list] == ["hookimpl"]
        for node in defined
    )
    assert "Table(" in (package / "schema.py").read_text()  # tables declared with SQLAlchemy Core
    assert '[project.entry-points.annex]\nnotes = "annex_notes"' in (target / "pyproject.toml").read_text()
    again = app.test_cli_runner().invoke(args=["plugin", "new", "notes", "--dir", str(target)])
    assert again.exit_code != 0
    assert "not empty" in again.output


def test_generated_plugin_installs_enables_serves_and_passes_its_own_tests(tmp_path):
    package = tmp_path / "annex-notes"
    write_package("notes", package)
    site = tmp_path / "site"
    install = subprocess.run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(f"""
        [site]
        static_dir = ""
        [database]
        url = "sqlite:///{tmp_path}/annex.db"
        [plugins]
        enabled = ["auth", "notes"]
        [plugins.auth]
        bcrypt_rounds = 4
        [plugins.notes]
        greeting = "ahoy"
        """)
    )
    script = textwrap.dedent("""
        from core import create_app
        client = create_app().test_client()
        body = {"username": "scaffolder", "email": "s@example.com", "password": "a long enough password"}
        token = client.post("/api/auth/register", json=body).get_json()["access_token"]
        headers = {"Authorization": "Bearer " + token}
        assert client.post("/api/notes/items", json={"text": "hi"}, headers=headers).status_code == 201
        print(client.get("/api/notes/items", headers=headers).get_json())
    """)
    served = subprocess.run(
        [PYTHON, "-c", script],
        env={**env, "ANNEX_CONFIG": str(config)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip() == "{'greeting': 'ahoy', 'items': ['hi']}"
    tests = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env=env,
        cwd=package,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
