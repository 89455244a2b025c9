"""No module reaches into a library's private state (dataset, SQLAlchemy, pluggy, Flask).

An upgrade may rename or drop anything whose name starts with ``_``; code that wrote dataset's
private transaction state once kept transactions working only by accident. Allowed: attributes
of the object's own class (``self._x``), attributes Annex itself hangs on a foreign object (named
``_annex_…``), and werkzeug's documented ``LocalProxy._get_current_object()``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("core", "plugins", "examples", "bench", "tests")
#: Documented API despite the underscore.
DOCUMENTED = {"_get_current_object"}
OWNERS = {"self", "cls"}


def private_uses(source: str) -> list[tuple[int, str]]:
    """(line, expression) of every use of another object's private attribute in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in OWNERS:
                continue
            name = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
        if name is None or not name.startswith("_") or name.startswith("__"):
            continue
        if name.startswith("_annex_") or name in DOCUMENTED:
            continue
        found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_checker_finds_what_the_old_storage_code_did():
    old = (
        "db.local.tx = [True]\n"
        "db._flush_tables()\n"
        "conn = getattr(db, '_release_connection')\n"
        "copy = column._copy()\n"
        "self._mine = 1\n"
        "request._annex_identity = None\n"
    )
    assert sorted(line for line, _ in private_uses(old)) == [2, 3, 4]


def test_no_module_touches_a_private_attribute_of_another_object():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {expression}"
        for folder in SCANNED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if ".venv" not in path.parts and "node_modules" not in path.parts
        for line, expression in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_module_writes_datasets_connection_bookkeeping():
    """dataset's public-looking but internal per-thread state: only core.db's own copy exists."""
    internals = ("db.local", ".connections", "db.lock")
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("core", "plugins", "examples")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in internals
        if name in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
