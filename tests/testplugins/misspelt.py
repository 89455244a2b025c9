"""A plugin with a hookimpl that names no hook: start-up must refuse it."""

from core import hookimpl


@hookimpl
def register_rotues(app):  # misspelt on purpose
    return None
