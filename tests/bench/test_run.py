"""``make bench`` end to end, shortened: both apps under gunicorn, driven by wrk, a table and JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_benchmark_prints_the_table_and_writes_the_results(tmp_path):
    require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk; `make bench` does)")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--cost", "4",
         "--endpoints", "health", "profile GET", "data PUT", "login", "--results", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "gthread, 1000 users" in out
    for endpoint in ("health", "profile GET", "data PUT", "login"):
        assert any(line.startswith(endpoint) for line in out.splitlines()), out
    assert "non-2xx responses and socket errors over all runs: 0" in out

    [written] = tmp_path.glob("bench-*.json")
    runs = json.loads(written.read_text())["runs"]
    # One measured run per app and endpoint (1 round), every one served requests, all 2xx.
    assert sorted((r["app"], r["endpoint"]) for r in runs) == sorted(
        (app, endpoint)
        for app in ("annex", "baseline")
        for endpoint in ("health", "profile GET", "data PUT", "login")
    )
    assert all(r["requests"] > 0 and r["non_2xx"] == 0 and r["socket_errors"] == 0 for r in runs)
    assert all(r["cpu_per_request_ms"] > 0 for r in runs)
