"""docs/plugins.md documents every hook, from hookspecs.py, and stays in step with it."""

from __future__ import annotations

from core import hookdocs


def test_plugin_docs_hook_reference_is_up_to_date():
    document = hookdocs.DOC.read_text()
    assert hookdocs.render(document) == document, "docs/plugins.md is out of date: run `make docs`"


def test_every_hook_has_a_section_in_the_plugin_docs():
    document = hookdocs.DOC.read_text()
    for name in hookdocs.hooks():
        assert f"### `{name}(" in document
