"""gunicorn reads this file by itself when started in the repository; the settings are Annex's
(core/gunicorn_config.py, which deploy/entrypoint.sh passes as --config)."""

from core.gunicorn_config import *  # noqa: F403
