"""``make bench``: Annex against the hand-written baseline, side by side, with wrk.

Both apps are seeded with 1,000 and with 100,000 users; for each gunicorn setting (gthread 2
workers x 4 threads, sync x 2) the four servers run at once on 127.0.0.1 and are driven endpoint
by endpoint, each round visiting all four in a rotating order, for several rounds. Per endpoint
it reports median req/s, p99 latency and server CPU per request for both, the ratios
Annex/baseline, and the 100k/1k ratio of CPU per request. Results are also written as JSON
under bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import free_port, write_toml  # noqa: E402

PASSWORD = "bench-password-1"
ENDPOINTS = ["health", "profile GET", "profile PUT", "data PUT", "data GET", "login", "register"]
SETTINGS = {"gthread": ["-w", "2", "-k", "gthread", "--threads", "4"], "sync": ["-w", "2", "-k", "sync"]}
#: Logged-in users whose tokens the requests rotate through.
TOKENS = 8
#: Endpoints bound by bcrypt, how many times longer their runs are (a few requests a second), and
#: how many rounds they get (their figures hardly vary: bcrypt is the same work in both apps).
SLOW = ("login", "register")
SLOW_FACTOR = 3
SLOW_ROUNDS = 3
BIN = Path(sys.executable).parent


@dataclass
class Run:
    app: str
    endpoint: str
    users: int
    setting: str
    requests: int
    rps: float
    p99_ms: float
    cpu_per_request_ms: float
    non_2xx: int
    socket_errors: int


# ------------------------------------------------------------------------------------------------
# servers
# ------------------------------------------------------------------------------------------------


def start(app: str, setting: str, workdir: Path, database: Path, rounds: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if app == "annex":
        config = write_toml(
            workdir / "annex.toml",
            {
                "site": {"url": f"http://127.0.0.1:{port}", "static_dir": ""},
                "security": {"secret_key": "bench-" + "s" * 40},
                "database": {"url": f"sqlite:///{database}"},
                "rate_limits": {"enabled": False},
                "plugins": {"enabled": ["auth", "profile", "content"], "auth": {"bcrypt_rounds": rounds}},
            },
        )
        env["ANNEX_CONFIG"] = str(config)
        target = "core:create_app()"
    else:
        env.update(BASELINE_DATABASE=str(database), BASELINE_ROUNDS=str(rounds))
        target = "bench.baseline_app:create_app()"
    log = (workdir / f"{app}-{setting}.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), *SETTINGS[setting], "-b", f"127.0.0.1:{port}", target],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                if response.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app} did not start; see {log.name}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def cpu_seconds(master: int) -> float:
    """User + system CPU of the gunicorn master and its workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master]
    with contextlib.suppress(OSError):
        pids += [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
        return json.loads(raw) if raw else {}


def prepare(port: int) -> list[str]:
    """Tokens of a few seeded users, each with the data keys the GET benchmark reads."""
    tokens = []
    for i in range(TOKENS):
        token = call(port, "POST", "/api/auth/login", {"username": f"user{i}", "password": PASSWORD})[
            "access_token"
        ]
        for k in range(10):
            call(port, "PUT", f"/api/user/data/k{k}", {"value": {"n": k}}, token)
        tokens.append(token)
    return tokens


# ------------------------------------------------------------------------------------------------
# wrk
# ------------------------------------------------------------------------------------------------

LUA = """
local tokens = {%(tokens)s}
local users = %(users)d
local n = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 100000)
request = function()
  n = n + 1
  local token = tokens[(n %% #tokens) + 1]
  local auth = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  local json = {["Content-Type"] = "application/json"}
  local endpoint = "%(endpoint)s"
  if endpoint == "health" then
    return wrk.format("GET", "/api/health")
  elseif endpoint == "profile GET" then
    return wrk.format("GET", "/api/user/profile", auth)
  elseif endpoint == "profile PUT" then
    return wrk.format("PUT", "/api/user/profile", auth, '{"display_name": "Bench", "bio": "run ' .. n .. '"}')
  elseif endpoint == "data PUT" then
    return wrk.format("PUT", "/api/user/data/k" .. (n %% 10), auth, '{"value": {"n": ' .. n .. '}}')
  elseif endpoint == "data GET" then
    return wrk.format("GET", "/api/user/data/k" .. (n %% 10), auth)
  elseif endpoint == "login" then
    local body = '{"username": "user' .. math.random(0, users - 1) .. '", "password": "%(password)s"}'
    return wrk.format("POST", "/api/auth/login", json, body)
  else
    local name = string.format("r%%x%%x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
    local body = '{"username": "' .. name .. '", "email": "' .. name .. '@example.com", '
      .. '"password": "%(password)s"}'
    return wrk.format("POST", "/api/auth/register", json, body)
  end
end
"""


def wrk(
    port: int, master: int, endpoint: str, tokens: list[str], users: int, seconds: int, workdir: Path
) -> dict:
    script = workdir / "bench.lua"
    script.write_text(
        LUA
        % {
            "tokens": ", ".join(f'"{t}"' for t in tokens),
            "users": users,
            "endpoint": endpoint,
            "password": PASSWORD,
        }
    )
    connections = "4" if endpoint in SLOW else "16"
    before = cpu_seconds(master)
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", connections, "-d", f"{seconds}s", "--latency", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu = cpu_seconds(master) - before
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "cpu_per_request_ms": 1000 * cpu / max(requests, 1),
        "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        "socket_errors": sum(int(x) for x in m.groups()) if (m := re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)) else 0,
    }  # fmt: skip


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


# ------------------------------------------------------------------------------------------------
# the whole benchmark
# ------------------------------------------------------------------------------------------------


def bench(
    users_counts: list[int], settings: list[str], rounds: int, seconds: int, cost: int, endpoints: list[str]
) -> list[Run]:
    """Every (user count, app) server of a setting runs at once, and each round visits them all
    in a rotating order: the 1k and 100k figures and both apps meet the same machine load, so
    the ratios compare like with like even when the machine's speed drifts."""
    runs: list[Run] = []
    workdirs = {users: Path(tempfile.mkdtemp(prefix=f"annex-bench-{users}-")) for users in users_counts}
    databases = {
        (users, app): workdirs[users] / f"{app}.db" for users in users_counts for app in ("annex", "baseline")
    }
    for (users, app), database in databases.items():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "seed.py"), "--database-url", f"sqlite:///{database}",
             "--users", str(users), "--password", PASSWORD, "--rounds", str(cost)]
            + (["--baseline"] if app == "baseline" else []),
            check=True, cwd=ROOT,
        )  # fmt: skip
    try:
        for setting in settings:
            servers: dict[tuple[int, str], tuple[subprocess.Popen, int]] = {}
            try:
                for (users, app), database in databases.items():
                    servers[(users, app)] = start(app, setting, workdirs[users], database, cost)
                tokens = {key: prepare(port) for key, (_, port) in servers.items()}
                keys = list(servers)
                for endpoint in endpoints:
                    # bcrypt endpoints answer a few requests a second: run them longer, fewer times.
                    length = seconds * (SLOW_FACTOR if endpoint in SLOW else 1)
                    count = min(rounds, SLOW_ROUNDS) if endpoint in SLOW else rounds
                    for key, (process, port) in servers.items():  # warm-up, not measured
                        wrk(port, process.pid, endpoint, tokens[key], key[0], 1, workdirs[key[0]])
                    for round_ in range(count):
                        for users, app in keys[round_ % len(keys) :] + keys[: round_ % len(keys)]:
                            process, port = servers[(users, app)]
                            result = wrk(
                                port,
                                process.pid,
                                endpoint,
                                tokens[(users, app)],
                                users,
                                length,
                                workdirs[users],
                            )
                            runs.append(Run(app, endpoint, users, setting, **result))
                            print(
                                f"  {users:>6} {setting:7} {endpoint:12} {app:8} {result['rps']:8.1f} req/s",
                                flush=True,
                            )
            finally:
                for process, _ in servers.values():
                    stop(process)
    finally:
        for workdir in workdirs.values():
            shutil.rmtree(workdir, ignore_errors=True)
    return runs


def median(runs: list[Run], field: str, **where: object) -> float:
    values = [getattr(r, field) for r in runs if all(getattr(r, k) == v for k, v in where.items())]
    return statistics.median(values) if values else float("nan")


def table(runs: list[Run], users_counts: list[int], settings: list[str], endpoints: list[str]) -> str:
    lines = []
    for setting in settings:
        for users in users_counts:
            lines.append(f"\n{setting}, {users} users")
            lines.append(
                f"{'endpoint':12} {'annex r/s':>10} {'base r/s':>10} {'ratio':>6} {'annex p99':>10} {'base p99':>9}"
                f" {'annex cpu':>10} {'base cpu':>9} {'cpu ratio':>9}"
            )
            for endpoint in endpoints:
                key = {"users": users, "setting": setting, "endpoint": endpoint}
                a, b = median(runs, "rps", app="annex", **key), median(runs, "rps", app="baseline", **key)
                ca = median(runs, "cpu_per_request_ms", app="annex", **key)
                cb = median(runs, "cpu_per_request_ms", app="baseline", **key)
                lines.append(
                    f"{endpoint:12} {a:10.1f} {b:10.1f} {a / b:6.2f} {median(runs, 'p99_ms', app='annex', **key):8.1f}ms"
                    f" {median(runs, 'p99_ms', app='baseline', **key):7.1f}ms {ca:8.2f}ms {cb:7.2f}ms {ca / cb:9.2f}"
                )
        if len(users_counts) > 1:
            small, large = min(users_counts), max(users_counts)
            lines.append(f"\n{setting}: Annex CPU per request, {large} users / {small} users")
            for endpoint in endpoints:
                key = {"setting": setting, "endpoint": endpoint, "app": "annex"}
                ratio = median(runs, "cpu_per_request_ms", users=large, **key) / median(
                    runs, "cpu_per_request_ms", users=small, **key
                )
                lines.append(f"  {endpoint:12} {ratio:5.2f}")
    errors = sum(r.non_2xx + r.socket_errors for r in runs)
    lines.append(f"\nnon-2xx responses and socket errors over all runs: {errors}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Annex vs a hand-written Flask baseline")
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    # Seven rounds: under gthread one run in ten loses two thirds of its speed at twice the CPU
    # per request, in either app (wrk's keep-alive connections can all land on one worker), and
    # the median of seven survives three such runs where the median of three fails on one.
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--endpoints", nargs="+", default=ENDPOINTS, choices=ENDPOINTS, metavar="ENDPOINT")
    parser.add_argument("--cost", type=int, default=12, help="bcrypt cost of both apps")
    parser.add_argument(
        "--results", type=Path, default=ROOT / "bench" / "results", help="where the JSON goes"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run: 1,000 users, gthread, 1 round, 2 s"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.settings, args.rounds, args.seconds = [1000], ["gthread"], 1, 2
    runs = bench(args.users, args.settings, args.rounds, args.seconds, args.cost, args.endpoints)
    report = table(runs, args.users, args.settings, args.endpoints)
    print(report)
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "args": {**vars(args), "results": str(args.results)},
                "runs": [asdict(r) for r in runs],
                "table": report,
            },
            indent=1,
        )
    )
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
