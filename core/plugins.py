"""Plugin discovery and the plugin manager.

Built-in plugins are the packages under ``plugins/``; installed ones declare an entry point in
the group ``annex``. Only the names in ``[plugins] enabled`` are registered; any problem stops
start-up with a message naming the plugin and the way out.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import click
import pluggy

from core import hookspecs
from core.version import __version__

#: pluggy project name, and the entry-point group installed plugins declare.
PROJECT = "annex"
ENTRY_POINT_GROUP = "annex"
#: Package holding the built-in plugins.
BUILTIN_PACKAGE = "plugins"

hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginError(click.ClickException):
    """A plugin cannot be loaded; the message names it and the cause.

    A ``click.ClickException``, like ``ConfigError``: a command line prints just the message.
    """


@dataclass(frozen=True)
class Discovered:
    """A plugin that could be enabled: where it comes from and its version."""

    name: str
    source: str  # "builtin" or "entry point <distribution>"
    version: str


def discover() -> dict[str, Discovered]:
    """Every plugin that could be enabled, by name, without importing any of them."""
    found: dict[str, Discovered] = {}
    for name in _builtin_names():
        found[name] = Discovered(name, "builtin", _core_version())
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        dist = entry.dist
        label = f"entry point {dist.name if dist else entry.value}"
        if entry.name in found and found[entry.name].source == "builtin":
            raise PluginError(
                f"plugin {entry.name}: both a built-in plugin and an installed one ({label}) use "
                "this name; uninstall one or rename its entry point"
            )
        found[entry.name] = Discovered(entry.name, label, dist.version if dist else "?")
    return found


def _builtin_names() -> list[str]:
    try:
        package = importlib.import_module(BUILTIN_PACKAGE)
    except ImportError:
        return []
    return sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")
    )


def _core_version() -> str:
    return __version__


def load(name: str, available: dict[str, Discovered]) -> Any:
    """Import the plugin called ``name``."""
    if name not in available:
        listed = ", ".join(sorted(available)) or "none"
        raise PluginError(
            f"plugin {name} is enabled (plugins.enabled) but not installed.{did_you_mean(name, available)} "
            f"Available: {listed}. Correct the name in plugins.enabled, or install the plugin's package."
        )
    try:
        if available[name].source == "builtin":
            return importlib.import_module(f"{BUILTIN_PACKAGE}.{name}")
        (entry,) = entry_points(group=ENTRY_POINT_GROUP, name=name)
        return entry.load()
    except Exception as exc:
        raise PluginError(f"plugin {name} failed to import: {type(exc).__name__}: {exc}") from exc


def did_you_mean(name: str, candidates: Iterable[str], spelled: str = "{}") -> str:
    """``" Did you mean X?"`` for the one candidate close to a misspelt ``name``, else ``""``;
    ``spelled`` formats the candidate (``"plugins.{}"``)."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {spelled.format(close[0])}?" if close else ""


def plugin_name(plugin: Any) -> str:
    """The name a directly passed plugin registers under (its module's last name part)."""
    if isinstance(plugin, ModuleType):
        return plugin.__name__.rsplit(".", 1)[-1]
    return getattr(plugin, "name", None) or type(plugin).__name__.lower()


def build_manager(
    enabled: Iterable[str], extra: Iterable[Any] = (), builtin: Iterable[tuple[str, Any]] = ()
) -> pluggy.PluginManager:
    """A fresh plugin manager with ``builtin`` (core's own), the enabled plugins and ``extra``.

    ``extra`` items are plugin objects or ``(name, plugin)`` pairs (tests inject plugins so).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in builtin:
        _register(pm, name, plugin)
    enabled = list(enabled)
    if enabled:
        available = discover()
        for name in enabled:
            _register(pm, name, load(name, available))
    for item in extra:
        name, plugin = item if isinstance(item, tuple) else (plugin_name(item), item)
        _register(pm, name, plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or plugin_name(exc.plugin)
        raise PluginError(f"plugin {name}: {exc}; see core/hookspecs.py for the hooks") from None
    return pm


def _register(pm: pluggy.PluginManager, name: str, plugin: Any) -> None:
    if pm.has_plugin(name):
        raise PluginError(f"plugin {name} is registered twice; remove the duplicate from plugins.enabled")
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {name}: {exc}") from None
    except ValueError as exc:
        raise PluginError(f"plugin {name}: {exc}") from None


def call_each(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call a collect hook plugin by plugin, returning ``(plugin name, result)`` pairs.

    Start-up hooks need to know whose contribution is whose (settings sections, route tags);
    each call goes through pluggy (so tracing sees it) and an exception names the plugin.
    """
    results = []
    impls = getattr(pm.hook, hook).get_hookimpls()  # registration order
    for impl in impls:
        others = [other.plugin for other in impls if other.plugin is not impl.plugin]
        try:
            answers = pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {impl.plugin_name} failed in {hook}: {type(exc).__name__}: {exc}"
            ) from exc
        results.extend((impl.plugin_name, answer) for answer in answers if answer is not None)
    return results


def hooks_of(pm: pluggy.PluginManager, name: str) -> list[str]:
    """Names of the hooks plugin ``name`` implements."""
    plugin = pm.get_plugin(name)
    return sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
