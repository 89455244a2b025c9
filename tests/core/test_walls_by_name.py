"""The core never names a built-in plugin: not by import (``test_plugins``), not by name, route,
setting or error code. A third-party plugin that replaces one gets everything the built-in gets.

The scaffold's templates are not scanned: they write a new plugin's project, whose test config
enables an identity plugin of the site's choosing (``auth`` by default) as any site would.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Every built-in plugin, those added later included.
BUILTINS = tuple(sorted(path.parent.name for path in (ROOT / "plugins").glob("*/__init__.py")))
#: What naming a built-in looks like in code, strings, comments and docstrings.
NAMING = [
    re.compile(rf"\bplugins[./]({'|'.join(BUILTINS)})\b"),  # module, path or setting
    re.compile(rf"\bthe ({'|'.join(BUILTINS)}) plugin", re.IGNORECASE),
    re.compile(rf"""["']({"|".join(BUILTINS)})["']"""),  # a plugin name as a literal
    re.compile(rf"""["']({"|".join(BUILTINS)})\.\w+["']"""),  # one of their action names
    re.compile(rf"/api/({'|'.join((*BUILTINS, 'user'))})\b|/members\b"),  # their routes
    re.compile(r"\b(invalid_credentials|token_expired|token_revoked|username_taken|email_taken)\b"),
]
#: OpenAPI's own field named "content", not the plugin.
ALLOWED = [re.compile(r"""["']content["']\s*[:\]]|success\["content"\]""")]


def naming(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if any(allowed.search(line) for allowed in ALLOWED):
            continue
        found += [f"{number}: {match.group(0)}" for pattern in NAMING for match in pattern.finditer(line)]
    return found


def test_the_checker_sees_each_way_of_naming_a_plugin():
    assert {"auth", "profile", "content"} <= set(BUILTINS)
    assert naming('settings = state.plugin_settings.get("auth")') == ['1: "auth"']
    assert naming("if path.startswith('/api/auth/'):") == ["1: /api/auth"]
    assert naming('if error.code == "invalid_credentials":') == ["1: invalid_credentials"]
    assert naming("# read plugins.auth.cookie_secure") == ["1: plugins.auth"]
    assert naming('"""Asked by the profile plugin."""') == ["1: the profile plugin"]
    assert naming('if action == "content.read":') == ['1: "content.read"']
    assert naming('body["content"] = {"application/json": {}}') == []
    assert naming("an authenticated user's content-type, with endpoint(auth=True)") == []


def test_no_file_of_the_core_names_a_builtin_plugin():
    offenders = [
        f"{path.relative_to(ROOT)}:{found}"
        for path in sorted((ROOT / "core").rglob("*"))
        if path.is_file() and path.suffix in (".py", ".html", ".js", ".toml") and "scaffold" not in path.parts
        for found in naming(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
