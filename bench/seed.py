"""Create users ``user0 … user{N-1}`` quickly, for the benchmark.

Annex's database gets its schema from the project's own migrations; the password is hashed
once at the requested cost and the hash copied to every user (the hash format is Annex's own).
``--baseline`` seeds the baseline app's SQLite file instead.

    python bench/seed.py --database-url sqlite:///bench.db --users 100000 --password P --rounds 12
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import bcrypt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Users inserted per statement batch.
BATCH = 5000


def rows(count: int, password_hash: str) -> list[dict]:
    now = time.time()
    return [
        {
            "username": f"user{i}",
            "email": f"user{i}@example.com",
            "password_hash": password_hash,
            "created_at": now,
        }
        for i in range(count)
    ]


def seed_annex(url: str, count: int, password: str, rounds: int) -> None:
    from sqlalchemy import insert

    from core import create_app
    from plugins.auth import passwords
    from plugins.auth.schema import users

    app = create_app(
        {
            "database": {"url": url},
            "site": {"static_dir": ""},
            "security": {"secret_key": "bench-" + "s" * 40},
            "plugins": {"enabled": ["auth", "profile", "content"]},
        },
        environ={},
    )  # development mode: the migrations run here
    hashed = passwords.hash_password(password, rounds, "")
    engine = app.extensions["annex"].db.engine
    with engine.begin() as conn:
        for start in range(0, count, BATCH):
            batch = rows(min(BATCH, count - start), hashed)
            for i, row in enumerate(batch):
                row.update(username=f"user{start + i}", email=f"user{start + i}@example.com")
                row.update(email_verified=False, roles=json.dumps(["member"]))
            conn.execute(insert(users), batch)
    app.extensions["annex"].db.close()


def seed_baseline(url: str, count: int, password: str, rounds: int) -> None:
    from bench.baseline_app import SCHEMA, prehash

    path = url.removeprefix("sqlite:///")
    hashed = bcrypt.hashpw(prehash(password), bcrypt.gensalt(rounds)).decode()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    with conn:
        conn.executemany(
            "INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
            [(f"user{i}", f"user{i}@example.com", hashed, time.time()) for i in range(count)],
        )
    conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--baseline", action="store_true", help="seed the baseline app's database")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    seed = seed_baseline if args.baseline else seed_annex
    seed(args.database_url, args.users, args.password, args.rounds)
    print(f"seeded {args.users} users in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
