"""``plugin new``: the generated package installs through its entry point, serves, and passes its tests."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.plugins import discover
from core.scaffold import write_package

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def test_plugin_names_are_checked(tmp_path):
    with pytest.raises(ValueError, match="lower-case"):
        write_package("Bad-Name", tmp_path / "x")


@pytest.mark.parametrize("name", sorted(n for n, found in discover().items() if found.source == "builtin"))
def test_the_name_of_a_built_in_plugin_is_refused(app, tmp_path, name):
    target = tmp_path / "pkg"
    result = app.test_cli_runner().invoke(args=["plugin", "new", name, "--dir", str(target)])
    assert result.exit_code != 0
    assert (
        result.output.strip()
        == f"Error: {name} is already the name of a built-in plugin; choose another name"
    )
    assert not target.exists()


def test_core_s_own_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="already the name of core itself"):
        write_package("core", tmp_path / "x")


def test_the_name_of_an_installed_plugin_is_refused(tmp_path):
    """A distribution on the path with an ``annex`` entry point, as ``pip install`` leaves one."""
    site = tmp_path / "site"
    info = site / "annex_ledger-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: annex-ledger\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[annex]\nledger = annex_ledger\n")
    target = tmp_path / "pkg"
    result = subprocess.run(
        [str(Path(PYTHON).parent / "annex"), "plugin", "new", "ledger", "--dir", str(target)],
        env={**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: ledger is already the name of an installed plugin (entry point annex-ledger);"
        " choose another name"
    )
    assert not target.exists()


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
