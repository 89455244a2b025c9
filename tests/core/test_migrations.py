"""Migrations: order, recording, idempotence, transactions, and two processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core import Migration, hookimpl
from core.db import normalize_url
from core.migrations import TABLE
from tests.testplugins import hello

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def rows(database_url, sql):
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_migrations_run_in_id_order_and_are_recorded(make_app, database_url):
    make_app(plugins=[hello])
    recorded = rows(
        database_url,
        f"SELECT plugin, migration FROM {TABLE} WHERE plugin = 'hello' ORDER BY applied_at, migration",
    )
    assert recorded == [("hello", "0001_notes"), ("hello", "0002_seed")]
    # 0002 inserts into the table 0001 creates: it only works in id order.
    assert rows(database_url, "SELECT title FROM hello_notes") == [("welcome",)]


def test_a_second_start_applies_nothing(make_app, database_url):
    make_app(plugins=[hello])
    make_app(plugins=[hello])
    assert rows(database_url, "SELECT count(*) FROM hello_notes") == [(1,)]
    assert rows(database_url, f"SELECT count(*) FROM {TABLE} WHERE plugin = 'hello'") == [(2,)]


class FailingPlugin:
    """Its second migration creates a table and then fails: nothing of it may remain."""

    name = "failing"

    @hookimpl
    def register_migrations(self):
        def good(db):
            db.query("CREATE TABLE failing_good (id INTEGER PRIMARY KEY)")

        def bad(db):
            db.query("CREATE TABLE failing_half (id INTEGER PRIMARY KEY)")
            db.query("INSERT INTO failing_good (id) VALUES (1)")
            raise RuntimeError("migration broke halfway")

        return [Migration("failing", "0001_good", good), Migration("failing", "0002_bad", bad)]


def test_a_failing_migration_is_rolled_back_and_not_recorded(make_app, database_url):
    with pytest.raises(Exception, match="migration broke halfway"):
        make_app(plugins=[FailingPlugin()])
    assert rows(database_url, f"SELECT migration FROM {TABLE} WHERE plugin = 'failing'") == [("0001_good",)]
    assert rows(database_url, "SELECT count(*) FROM failing_good") == [(0,)]
    engine = create_engine(normalize_url(database_url))
    try:
        from sqlalchemy import inspect

        assert "failing_half" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def production(extra=None):
    config = {"site": {"environment": "production"}, "security": {"secret_key": "x" * 40}}
    config.update(extra or {})
    return config


def status_lines(state: str) -> list[str]:
    """``migrate --status`` of the core and ``hello``, every migration in ``state``."""
    from core.routes import register_migrations

    core = [f"{state}  core {migration.id}" for migration in register_migrations()]
    return [*core, f"{state}  hello 0001_notes", f"{state}  hello 0002_seed"]


def test_production_does_not_migrate_at_start_up_but_migrate_does(make_app, database_url):
    app = make_app(production(), plugins=[hello])
    runner = app.test_cli_runner()
    status = runner.invoke(args=["migrate", "--status"])
    assert status.output.splitlines() == status_lines("pending")
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert f"{len(status_lines('applied'))} migration(s) applied" in result.output
    assert runner.invoke(args=["migrate"]).output.strip() == "0 migration(s) applied"
    status = runner.invoke(args=["migrate", "--status"])
    assert status.output.splitlines() == status_lines("applied")
    assert rows(database_url, "SELECT count(*) FROM hello_notes") == [(1,)]


def test_duplicate_migration_ids_are_refused(make_app):
    class Twice:
        name = "twice"

        @hookimpl
        def register_migrations(self):
            return [Migration("twice", "0001", lambda db: None), Migration("twice", "0001", lambda db: None)]

    with pytest.raises(Exception, match="0001 is used twice"):
        make_app(plugins=[Twice()])


SLOW_PLUGIN = """
    import time
    from core import Migration, hookimpl

    def slow(db):
        db.query("CREATE TABLE slowmig_runs (pid INTEGER)")
        time.sleep(1.5)
        db.query("INSERT INTO slowmig_runs (pid) VALUES (:pid)", pid=__import__("os").getpid())

    def after(db):
        db.query("INSERT INTO slowmig_runs (pid) VALUES (-1)")

    @hookimpl
    def register_migrations():
        return [Migration("slowmig", "0001_slow", slow), Migration("slowmig", "0002_after", after)]
"""


def test_two_processes_migrating_at_once_apply_each_migration_once(tmp_path, database_url):
    site = tmp_path / "site-packages"
    (site / "annex_slowmig").mkdir(parents=True)
    (site / "annex_slowmig" / "__init__.py").write_text(textwrap.dedent(SLOW_PLUGIN))
    dist = site / "annex_slowmig-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: annex-slowmig\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[annex]\nslowmig = annex_slowmig\n")
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(f"""
        [site]
        environment = "production"
        static_dir = ""
        [database]
        url = "{database_url}"
        [plugins]
        enabled = ["slowmig"]
        """)
    )
    env = {
        **os.environ,
        "ANNEX_CONFIG": str(config),
        "ANNEX_SECRET_KEY": "m" * 40,
        "PYTHONPATH": f"{site}{os.pathsep}{ROOT}",
    }
    processes = [
        subprocess.Popen(
            [str(FLASK), "--app", "core", "migrate"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    applied_counts = sorted(int(out.strip().splitlines()[-1].split()[0]) for out, _ in outputs)
    # core's and slowmig's two, each by one process only
    assert sum(applied_counts) == rows(database_url, f"SELECT count(*) FROM {TABLE}")[0][0]
    runs = rows(database_url, "SELECT pid FROM slowmig_runs")
    assert len(runs) == 2
    assert sorted(pid for (pid,) in runs)[0] == -1
    assert rows(database_url, f"SELECT count(*) FROM {TABLE} WHERE plugin = 'slowmig'") == [(2,)]
