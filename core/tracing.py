"""Hook-call observability: which plugin failed, and (on demand) every call with its timing.

Each hook implementation is wrapped once at start-up so that an exception names the plugin
that raised it in the log; the request still ends in the usual 500 JSON error.
With ``ANNEX_TRACE_PLUGINS=1`` every hook call is logged with arguments, result and duration;
never a password argument, and a request without its query string (mailed links carry tokens).
The lines reach stderr even when nothing configured logging: asking for a trace is enough.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pluggy
from werkzeug.wrappers import Request

from core.errors import ApiError

log = logging.getLogger("annex.plugins")
trace_log = logging.getLogger("annex.trace")
#: Longest representation of an argument or result in a trace line.
TRACE_REPR_LIMIT = 200
#: Hook arguments whose value is never written to the trace (verify_password's).
SECRET_ARGUMENTS = frozenset({"password"})


def name_failures(pm: pluggy.PluginManager) -> None:
    """Make every hook implementation log its plugin's name when it raises."""
    for name, plugin in pm.list_name_plugin():
        for caller in pm.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not getattr(impl.function, "_annex_named", False):
                    impl.function = _named(impl.function, name, caller.name)


def _named(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    if getattr(function, "_annex_named", False):
        return function

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            if not isinstance(exc, ApiError):  # an ApiError is an answer, not a failure
                log.error("plugin %s raised in hook %s: %s: %s", plugin, hook, type(exc).__name__, exc)
            raise

    call._annex_named = True  # type: ignore[attr-defined]
    return call


class _StderrFallback(logging.Handler):
    """Writes trace lines to stderr while no handler up the logger tree would receive them (no
    logging set up: Python's last resort prints warnings only), and stays quiet once one does."""

    def emit(self, record: logging.LogRecord) -> None:
        logger: logging.Logger | None = trace_log
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return
            logger = logger.parent if logger.propagate else None
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _trace_to_stderr() -> None:
    """Let INFO trace lines through, and print them when logging was never set up."""
    if trace_log.getEffectiveLevel() > logging.INFO:
        trace_log.setLevel(logging.INFO)
    if not any(isinstance(handler, _StderrFallback) for handler in trace_log.handlers):
        handler = _StderrFallback()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        trace_log.addHandler(handler)


def enable_tracing(pm: pluggy.PluginManager) -> Callable[[], None]:
    """Log every hook call (on stderr if logging is not set up); returns the function that stops it."""
    _trace_to_stderr()
    local = threading.local()  # hook calls nest, and several threads serve requests

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        local.__dict__.setdefault("started", []).append(time.perf_counter())

    def after(
        outcome: Any, hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        elapsed = (time.perf_counter() - local.started.pop()) * 1000
        plugins = ",".join(impl.plugin_name for impl in impls) or "-"
        arguments = ", ".join(
            f"{key}={'***' if key in SECRET_ARGUMENTS else _short(value)}" for key, value in kwargs.items()
        )
        exception = outcome.exception
        result = (
            f"raised {type(exception).__name__}: {exception}" if exception else _short(outcome.get_result())
        )
        trace_log.info("%s(%s) [%s] -> %s in %.2f ms", hook_name, arguments, plugins, result, elapsed)

    return pm.add_hookcall_monitoring(before, after)


def _short(value: Any) -> str:
    if isinstance(value, Request):
        return f"<Request {value.method} {value.path}>"  # the query string may hold a token
    text = repr(value)
    return text if len(text) <= TRACE_REPR_LIMIT else text[: TRACE_REPR_LIMIT - 1] + "…"
