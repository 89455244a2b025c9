#!/bin/sh
# Container entrypoint: apply pending migrations, then serve with gunicorn (or run the command
# given instead, e.g. `annex users list`).
#
# Several replicas may start at once: `flask --app core migrate` takes a database-wide lock
# (a PostgreSQL advisory lock, SQLite's write lock), so each migration is applied exactly once
# and the others wait, then find nothing pending. ANNEX_MIGRATE=0 skips it.
#
# The database may still be starting: while the server of ANNEX_DATABASE_URL (PostgreSQL,
# MySQL/MariaDB) does not accept connections, or its name does not resolve yet, the entrypoint
# waits, ANNEX_MIGRATE_RETRIES times 2 seconds, and exits with 75 (EX_TEMPFAIL) if it never
# does. Then the migration runs once: any other error (a configuration error, a wrong password)
# is printed once, and the entrypoint exits with the command's status.
set -eu

wait_for_database() {
    python - <<'PYTHON'
import os, socket, sys, time
from urllib.parse import urlsplit

url = os.environ.get("ANNEX_DATABASE_URL", "")
scheme = url.partition("://")[0].partition("+")[0]
ports = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mariadb": 3306}
if scheme not in ports:
    sys.exit(0)  # SQLite, or a URL of config.toml: nothing to wait for (migrate reports errors)
try:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or ports[scheme]
except ValueError:
    sys.exit(0)  # not a URL: migrate says what is wrong with it
if not host:
    sys.exit(0)  # a unix socket
retries = os.environ.get("ANNEX_MIGRATE_RETRIES", "").strip()
tries = max(1, int(retries)) if retries.isdigit() else 15
for attempt in range(1, tries + 1):
    try:
        socket.create_connection((host, port), timeout=5).close()
        sys.exit(0)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
    if attempt < tries:
        print(f"entrypoint: the database at {host}:{port} is not reachable yet ({reason}), "
              "retrying in 2 s", file=sys.stderr)
        time.sleep(2)
print(f"entrypoint: the database at {host}:{port} was not reachable in {tries} attempts "
      f"({reason}), giving up", file=sys.stderr)
sys.exit(75)
PYTHON
}

if [ "${ANNEX_MIGRATE:-1}" = "1" ]; then
    wait_for_database
    # Its report goes to stderr: the stdout of a one-off command (`annex users list`) is its own.
    flask --app core migrate >&2
fi

if [ "$#" -eq 0 ] || [ "$1" = "serve" ]; then
    # gthread workers: GUNICORN_WORKERS processes of GUNICORN_THREADS threads each. The
    # heartbeat files go to /dev/shm (memory), not to a possibly slow container filesystem.
    # core/gunicorn_config.py: the bind (GUNICORN_BIND, else 0.0.0.0:$PORT, else
    # 127.0.0.1:8000), no X-Forwarded-* believed by gunicorn itself (Annex's
    # security.trusted_proxies decides), and an access log without query strings (mailed
    # tokens). Only nginx should reach the bind: slow clients would hold gunicorn's threads.
    # No control socket: it would be written under the user's home, and the image has none.
    exec gunicorn \
        --config python:core.gunicorn_config \
        --workers "${GUNICORN_WORKERS:-2}" \
        --threads "${GUNICORN_THREADS:-4}" \
        --worker-class gthread \
        --worker-tmp-dir "${GUNICORN_TMP_DIR:-/dev/shm}" \
        --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-20}" \
        --access-logfile - \
        --no-control-socket \
        'core:create_app()'
fi
exec "$@"
