"""docs/plugins.md documents every hook, from hookspecs.py, and stays in step with it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from core import hookdocs
from core.scaffold import write_package

ROOT = Path(__file__).resolve().parents[2]


def test_plugin_docs_hook_reference_is_up_to_date():
    document = hookdocs.DOC.read_text()
    assert hookdocs.render(document) == document, "docs/plugins.md is out of date: run `make docs`"


def test_every_hook_has_a_section_in_the_plugin_docs():
    document = hookdocs.DOC.read_text()
    for name in hookdocs.hooks():
        assert f"### `{name}(" in document


def test_the_test_kit_snippet_runs_as_a_plugin_s_test_suite(tmp_path):
    """docs/plugins.md section 8, copied into a scaffolded plugin as its tests, passes as written:
    the fixtures take the arguments it shows and it imports what it uses."""
    section = hookdocs.DOC.read_text().split("## 8. Tests", 1)[1].split("\n## ", 1)[0]
    (snippet,) = re.findall(r"```python\n(.*?)```", section, re.S)
    files = dict(re.findall(r"^# (tests/\S+\.py)\n(.*?)(?=^# tests/|\Z)", snippet, re.S | re.M))
    assert sorted(files) == ["tests/conftest.py", "tests/test_notes.py"]
    package = tmp_path / "annex-notes"
    write_package("notes", package)
    for relative, code in files.items():
        (package / relative).write_text(code)
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env={**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"},
        cwd=package,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    count = len(re.findall(r"^def test_", files["tests/test_notes.py"], re.M))
    assert f"{count} passed" in tests.stdout


def test_every_python_snippet_imports_what_it_uses():
    """A snippet copied into a module runs without a NameError (ruff's F821, undefined name),
    the hook reference's examples (core/hookspecs.py's docstrings) included."""
    snippets = re.findall(r"```python\n(.*?)```", hookdocs.DOC.read_text(), re.S)
    assert len(snippets) > len(hookdocs.hooks())
    undefined = []
    for number, snippet in enumerate(snippets, 1):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F821", "--output-format",
             "concise", "--stdin-filename", f"snippet{number}.py", "-"],
            input=snippet, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        undefined += [line for line in result.stdout.splitlines() if "F821" in line]
    assert undefined == []
