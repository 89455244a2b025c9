"""Plugin discovery, enabling, and every way a plugin can stop start-up."""

from __future__ import annotations

import textwrap

import pytest

import plugins as builtin_package
from core import PluginError, create_app
from tests.testplugins import bad_signature, hello, misspelt


@pytest.fixture
def builtin_dir(tmp_path, monkeypatch):
    """A directory added to the built-in ``plugins`` package, as if its plugins shipped with Annex."""
    folder = tmp_path / "builtin"
    folder.mkdir()
    monkeypatch.setattr(builtin_package, "__path__", [*builtin_package.__path__, str(folder)])
    yield folder
    import sys

    for name in [m for m in sys.modules if m.startswith("plugins.") and "ztest" in m]:
        del sys.modules[name]


def write_plugin(folder, name, body):
    (folder / f"{name}.py").write_text(textwrap.dedent(body))


def install_distribution(path, package, entry_name, body, version="1.2.3"):
    """A minimal installed distribution with an ``annex`` entry point, found through sys.path."""
    (path / package).mkdir()
    (path / package / "__init__.py").write_text(textwrap.dedent(body))
    dist = path / f"{package}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(f"[annex]\n{entry_name} = {package}\n")


PING_PLUGIN = """
    from flask import Blueprint
    from core import endpoint, hookimpl

    bp = Blueprint("{name}", __name__, url_prefix="/api/{name}")

    @bp.get("")
    @endpoint()
    def ping():
        return {{"plugin": "{name}"}}

    @hookimpl
    def register_routes(app):
        return bp
"""


def test_builtin_plugin_is_found_by_name_and_serves_its_route(make_app, builtin_dir):
    write_plugin(builtin_dir, "ztest_ping", PING_PLUGIN.format(name="ztest_ping"))
    client = make_app({"plugins": {"enabled": ["ztest_ping"]}}).test_client()
    response = client.get("/api/ztest_ping")
    assert response.status_code == 200
    assert response.json == {"plugin": "ztest_ping"}


def test_discovered_but_not_enabled_plugin_serves_nothing(make_app, builtin_dir):
    write_plugin(builtin_dir, "ztest_ping", PING_PLUGIN.format(name="ztest_ping"))
    client = make_app({"plugins": {"enabled": []}}).test_client()
    assert client.get("/api/ztest_ping").status_code == 404


def test_installed_plugin_is_found_through_its_entry_point(make_app, tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    site.mkdir()
    install_distribution(site, "annex_ztest_ep", "zep", PING_PLUGIN.format(name="zep"))
    monkeypatch.syspath_prepend(str(site))
    app = make_app({"plugins": {"enabled": ["zep"]}})
    assert app.test_client().get("/api/zep").json == {"plugin": "zep"}
    output = app.test_cli_runner().invoke(args=["plugins"]).output
    assert "zep (enabled; entry point annex_ztest_ep; version 1.2.3)" in output


def test_unknown_plugin_name_stops_start_up_listing_the_available_ones(make_app, builtin_dir):
    write_plugin(builtin_dir, "ztest_ping", PING_PLUGIN.format(name="ztest_ping"))
    with pytest.raises(PluginError) as excinfo:
        make_app({"plugins": {"enabled": ["nosuchplugin"]}})
    message = str(excinfo.value)
    assert "nosuchplugin" in message
    assert "ztest_ping" in message


def test_plugin_that_fails_to_import_names_itself_and_the_cause(make_app, builtin_dir):
    write_plugin(builtin_dir, "ztest_broken", "import module_that_does_not_exist\n")
    with pytest.raises(PluginError) as excinfo:
        make_app({"plugins": {"enabled": ["ztest_broken"]}})
    assert "ztest_broken" in str(excinfo.value)
    assert "module_that_does_not_exist" in str(excinfo.value)


def test_hookimpl_naming_no_hook_stops_start_up(make_app):
    with pytest.raises(PluginError) as excinfo:
        make_app(plugins=[misspelt])
    assert "misspelt" in str(excinfo.value)
    assert "register_rotues" in str(excinfo.value)


def test_hookimpl_with_unknown_argument_stops_start_up(make_app):
    with pytest.raises(PluginError) as excinfo:
        make_app(plugins=[bad_signature])
    assert "bad_signature" in str(excinfo.value)
    assert "database" in str(excinfo.value)


def test_builtin_and_installed_plugin_with_one_name_is_refused(make_app, builtin_dir, tmp_path, monkeypatch):
    write_plugin(builtin_dir, "ztest_twin", PING_PLUGIN.format(name="ztest_twin"))
    site = tmp_path / "site-packages"
    site.mkdir()
    install_distribution(site, "annex_ztest_twin", "ztest_twin", PING_PLUGIN.format(name="ztest_twin"))
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError, match="ztest_twin.*both a built-in"):
        make_app({"plugins": {"enabled": ["ztest_twin"]}})


def test_plugin_enabled_twice_is_refused(make_app):
    with pytest.raises(PluginError, match="hello is registered twice"):
        make_app(plugins=[hello, ("hello", hello)])


def test_plugin_failing_in_a_start_up_hook_is_named(make_app, builtin_dir):
    write_plugin(
        builtin_dir,
        "ztest_fails",
        """
        from core import hookimpl

        @hookimpl
        def register_routes(app):
            raise RuntimeError("no routes today")
        """,
    )
    with pytest.raises(PluginError, match="ztest_fails failed in register_routes.*no routes today"):
        make_app({"plugins": {"enabled": ["ztest_fails"]}})


def test_register_routes_must_return_blueprints(make_app, builtin_dir):
    write_plugin(
        builtin_dir,
        "ztest_notbp",
        """
        from core import hookimpl

        @hookimpl
        def register_routes(app):
            return "not a blueprint"
        """,
    )
    with pytest.raises(PluginError, match="ztest_notbp: register_routes returned"):
        make_app({"plugins": {"enabled": ["ztest_notbp"]}})


def test_each_app_has_its_own_plugin_manager(make_app):
    with_hello = make_app(plugins=[hello])
    without = make_app()
    assert with_hello.test_client().get("/api/hello").status_code == 200
    assert without.test_client().get("/api/hello").status_code == 404
    assert with_hello.extensions["annex"].pm is not without.extensions["annex"].pm


def test_create_app_reads_the_enabled_list_from_a_config_file(tmp_path, builtin_dir):
    write_plugin(builtin_dir, "ztest_ping", PING_PLUGIN.format(name="ztest_ping"))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/file.db"\n[site]\nstatic_dir = ""\n'
        '[plugins]\nenabled = ["ztest_ping"]\n'
    )
    app = create_app(config, environ={}, instance_path=tmp_path / "instance")
    try:
        assert app.test_client().get("/api/ztest_ping").status_code == 200
    finally:
        app.extensions["annex"].db.close()
