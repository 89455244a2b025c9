#!/bin/sh
# Container entrypoint: apply pending migrations, then serve with gunicorn (or run the command
# given instead, e.g. `annex users list`).
#
# Several replicas may start at once: `flask --app core migrate` takes a database-wide lock
# (a PostgreSQL advisory lock, SQLite's write lock), so each migration is applied exactly once
# and the others wait, then find nothing pending. The database may still be starting: the
# migration is retried ANNEX_MIGRATE_RETRIES times, 2 seconds apart. ANNEX_MIGRATE=0 skips it.
set -eu

if [ "${ANNEX_MIGRATE:-1}" = "1" ]; then
    tries=0
    # Its report goes to stderr: the stdout of a one-off command (`annex users list`) is its own.
    until flask --app core migrate >&2; do
        tries=$((tries + 1))
        if [ "$tries" -ge "${ANNEX_MIGRATE_RETRIES:-15}" ]; then
            echo "entrypoint: migrations failed $tries times, giving up" >&2
            exit 1
        fi
        echo "entrypoint: migrations failed (database not ready?), retrying in 2 s" >&2
        sleep 2
    done
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
