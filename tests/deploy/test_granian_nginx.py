"""deploy/nginx.conf in front of Annex under granian instead of gunicorn (issue 21).

The stack is tests/deploy/test_nginx.py's (its nginx, certificate and production environment),
with granian (tests/granian_server.py, 1 worker of 4 blocking threads, as the entrypoint's
gunicorn there) behind it. The tests below are test_nginx.py's own, imported so that they run
again here, against this module's ``stack``: slow clients, the client's address and its rate
limits through ``X-Forwarded-For``, the body limit, and the access logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import require
from tests.deploy.conftest import DEPLOY, free_port, production_env, stop
from tests.deploy.test_nginx import (  # noqa: F401  (the imported tests and fixture run here)
    Stack,
    _start_nginx,
    certificate,
    test_bodies_over_max_body_bytes_are_refused_by_nginx,
    test_login_has_an_edge_rate_limit_answered_in_json,
    test_members_files_are_sent_by_nginx_after_the_app_says_yes,
    test_rate_limits_count_per_real_client,
    test_slow_clients_wait_in_nginx_while_normal_requests_are_served,
    test_the_app_sees_the_real_client_address_not_a_spoofed_one,
)
from tests.granian_server import granian_installed, start_granian

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def stack(certificate: tuple[Path, Path, Path]) -> Iterator[Stack]:  # noqa: F811
    require(
        granian_installed(), "granian is not installed in this environment (pip install 'granian>=2.8,<3')"
    )
    folder, cert, key = certificate
    app_port = free_port()
    app = nginx = None
    try:
        nginx = _start_nginx(folder / "front", folder / "site", cert, key, app_port)
        env = production_env(folder, f"https://127.0.0.1:{nginx.https_port}", folder / "annex.db")
        servers.migrate(env)
        workdir = folder / "app"
        workdir.mkdir()
        app = start_granian(
            DEPLOY / "config.toml",
            workdir,
            workers=1,
            env=env,
            port=app_port,
            clean_env=True,
            cwd=workdir,
            probe_headers={"X-Forwarded-Proto": "https"},
        )
        yield Stack(nginx.https_port, nginx.http_port, app_port, cert, folder / "site", nginx.folder, app.log)
    finally:
        if nginx is not None:
            stop(nginx.process)
        if app is not None:
            app.stop()
