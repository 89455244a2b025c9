"""A hookimpl asking for an argument the hook does not provide."""

from core import hookimpl


@hookimpl
def register_routes(app, database):
    return None
