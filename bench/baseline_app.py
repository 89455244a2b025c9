"""The floor we measure ourselves against: hand-written Flask + PyJWT + sqlite3 + bcrypt.

It does the same work as Annex's routes (validation, a bcrypt behind HMAC-SHA-256, sessions
checked by primary key on every request, JWTs, refresh rotation by generation with a grace
window, ETags and If-Match, members-only files, the security headers the contract requires on
every response), with none of the framework: one file, raw SQL, a connection per thread. Run:
``gunicorn 'bench.baseline_app:create_app()'`` with ``BASELINE_DATABASE`` pointing at a SQLite
file made by ``bench/seed.py --baseline`` and ``BASELINE_FILES`` at the members' folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import bcrypt
import jwt
from flask import Flask, jsonify, request, send_file

KEY = os.environ.get("BASELINE_SECRET", "baseline-secret-" + "x" * 32)
ROUNDS = int(os.environ.get("BASELINE_ROUNDS", "12"))
#: Seconds an access token lives (the bench sets it past the run, as it does Annex's).
ACCESS_TTL = int(os.environ.get("BASELINE_ACCESS_TTL", "900"))
#: Seconds a refresh token retired by the latest rotation still re-issues the current pair.
GRACE = float(os.environ.get("BASELINE_REFRESH_GRACE", "10"))
USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT NOT NULL, email TEXT NOT NULL,
    password_hash TEXT NOT NULL, created_at REAL NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS users_username ON users (lower(username));
CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (lower(email));
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, revoked_at REAL,
    expires_at REAL NOT NULL, generation INTEGER NOT NULL DEFAULT 1, rotated_at REAL);
CREATE TABLE IF NOT EXISTS profiles (user_id INTEGER PRIMARY KEY, display_name TEXT, bio TEXT);
CREATE TABLE IF NOT EXISTS data (user_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    etag TEXT NOT NULL, PRIMARY KEY (user_id, key));
"""
#: What docs/api.md requires on every response (the API's are JSON, never cached).
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def prehash(password: str) -> bytes:
    return base64.b64encode(hmac.new(b"baseline", password.encode(), hashlib.sha256).digest())


def create_app() -> Flask:
    app = Flask(__name__)
    path = os.environ["BASELINE_DATABASE"]
    files = Path(os.environ.get("BASELINE_FILES", "protected")).resolve()
    local = threading.local()

    def db() -> sqlite3.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.row_factory = sqlite3.Row
            local.conn = conn
        return conn

    db().executescript(SCHEMA)

    @app.after_request
    def headers(response):
        for name, value in HEADERS.items():
            if name != "Cache-Control" or request.endpoint != "members":
                response.headers[name] = value
        return response

    def error(status: int, code: str):
        return jsonify({"error": {"code": code, "message": code}}), status

    def tokens(user_id: int) -> dict:
        cur = db().execute(
            "INSERT INTO sessions (user_id, expires_at) VALUES (?, ?)", (user_id, time.time() + 2592000)
        )
        return pair(user_id, cur.lastrowid, 1)

    def pair(user_id: int, sid: int, generation: int) -> dict:
        now = int(time.time())
        claims = {"sub": str(user_id), "sid": sid, "iat": now, "aud": "annex", "iss": "baseline"}
        access = jwt.encode(
            {**claims, "exp": now + ACCESS_TTL, "typ": "access", "jti": secrets.token_urlsafe(8)},
            KEY,
            "HS256",
        )
        refresh = jwt.encode(
            {
                **claims,
                "exp": now + 1209600,
                "typ": "refresh",
                "gen": generation,
                "jti": secrets.token_urlsafe(8),
            },
            KEY,
            "HS256",
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL,
        }

    def current_user() -> sqlite3.Row | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(header[7:], KEY, algorithms=["HS256"], audience="annex", issuer="baseline")
        except jwt.PyJWTError:
            return None
        if claims.get("typ") != "access":
            return None
        return (
            db()
            .execute(
                "SELECT u.id, u.username, u.email, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE s.id = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
                (claims["sid"], time.time()),
            )
            .fetchone()
        )

    @app.get("/api/health")
    def health():
        db().execute("SELECT 1").fetchone()
        return {"status": "ok", "checks": {"database": "ok"}}

    @app.post("/api/auth/register")
    def register():
        body = request.get_json(silent=True) or {}
        username, email, password = body.get("username"), body.get("email"), body.get("password")
        if not (isinstance(username, str) and USERNAME.fullmatch(username) and isinstance(email, str)
                and "@" in email and isinstance(password, str) and 8 <= len(password) <= 1024):  # fmt: skip
            return error(422, "validation_error")
        hashed = bcrypt.hashpw(prehash(password), bcrypt.gensalt(ROUNDS)).decode()
        try:
            cur = db().execute(
                "INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (username, email.lower(), hashed, time.time()),
            )
        except sqlite3.IntegrityError:
            return error(409, "username_taken")
        return jsonify({**tokens(cur.lastrowid), "user": {"id": cur.lastrowid, "username": username}}), 201

    @app.post("/api/auth/login")
    def login():
        body = request.get_json(silent=True) or {}
        row = (
            db()
            .execute(
                "SELECT id, username, password_hash FROM users WHERE lower(username) = lower(?)",
                (str(body.get("username")),),
            )
            .fetchone()
        )
        stored = row["password_hash"] if row else bcrypt.hashpw(b"dummy", bcrypt.gensalt(ROUNDS)).decode()
        if not bcrypt.checkpw(prehash(str(body.get("password"))), stored.encode()) or row is None:
            return error(401, "invalid_credentials")
        return {**tokens(row["id"]), "user": {"id": row["id"], "username": row["username"]}}

    @app.post("/api/auth/refresh")
    def refresh():
        """Rotate the session when the token's generation is current (a compare-and-swap), re-issue
        within the grace window for the one retired last, revoke the session on any other reuse."""
        body = request.get_json(silent=True) or {}
        try:
            claims = jwt.decode(
                str(body.get("refresh_token")), KEY, algorithms=["HS256"], audience="annex", issuer="baseline"
            )
        except jwt.PyJWTError:
            return error(401, "unauthorized")
        generation = claims.get("gen")
        if claims.get("typ") != "refresh" or not isinstance(generation, int):
            return error(401, "unauthorized")
        conn = db()
        user = conn.execute("SELECT id, username FROM users WHERE id = ?", (int(claims["sub"]),)).fetchone()
        find = "SELECT user_id, generation, rotated_at, revoked_at, expires_at FROM sessions WHERE id = ?"
        session = conn.execute(find, (claims["sid"],)).fetchone()
        if user is None or session is None or session["user_id"] != user["id"] or session["revoked_at"]:
            return error(401, "token_revoked")
        now = time.time()
        if session["expires_at"] <= now:
            return error(401, "token_expired")
        if generation == session["generation"]:
            swapped = conn.execute(
                "UPDATE sessions SET generation = ?, rotated_at = ? WHERE id = ? AND generation = ?"
                " AND revoked_at IS NULL",
                (generation + 1, now, claims["sid"], generation),
            ).rowcount
            if swapped == 1:
                return {**pair(user["id"], claims["sid"], generation + 1), "user": {"id": user["id"], "username": user["username"]}}  # fmt: skip
            session = conn.execute(find, (claims["sid"],)).fetchone()
        rotated = session["rotated_at"]
        if generation == session["generation"] - 1 and rotated is not None and now - rotated <= GRACE:
            return {**pair(user["id"], claims["sid"], session["generation"]), "user": {"id": user["id"], "username": user["username"]}}  # fmt: skip
        conn.execute("UPDATE sessions SET revoked_at = ? WHERE id = ?", (now, claims["sid"]))
        return error(401, "token_revoked")

    @app.get("/api/user/profile")
    def profile():
        user = current_user()
        if user is None:
            return error(401, "unauthorized")
        extra = (
            db().execute("SELECT display_name, bio FROM profiles WHERE user_id = ?", (user["id"],)).fetchone()
        )
        return {"id": user["id"], "username": user["username"], "email": user["email"],
                "display_name": extra["display_name"] if extra else None, "bio": extra["bio"] if extra else None}  # fmt: skip

    @app.put("/api/user/profile")
    def update_profile():
        user = current_user()
        if user is None:
            return error(401, "unauthorized")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or set(body) - {"display_name", "bio"}:
            return error(422, "validation_error")
        db().execute(
            "INSERT INTO profiles (user_id, display_name, bio) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
            " SET display_name = excluded.display_name, bio = excluded.bio",
            (user["id"], body.get("display_name"), body.get("bio")),
        )
        return profile()

    @app.get("/api/user/data/<key>")
    def get_data(key: str):
        user = current_user()
        if user is None:
            return error(401, "unauthorized")
        row = (
            db()
            .execute("SELECT value, etag FROM data WHERE user_id = ? AND key = ?", (user["id"], key))
            .fetchone()
        )
        if row is None:
            return error(404, "not_found")
        response = jsonify({"key": key, "value": json.loads(row["value"])})
        response.headers["ETag"] = f'"{row["etag"]}"'
        return response

    @app.put("/api/user/data/<key>")
    def put_data(key: str):
        user = current_user()
        if user is None:
            return error(401, "unauthorized")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "value" not in body:
            return error(422, "validation_error")
        etag, value = secrets.token_hex(8), json.dumps(body["value"])
        wanted = request.headers.get("If-Match")
        conn = db()
        conn.execute("BEGIN IMMEDIATE")  # one user's read-check-write is not interleaved with another's
        try:
            row = conn.execute(
                "SELECT etag FROM data WHERE user_id = ? AND key = ?", (user["id"], key)
            ).fetchone()
            if wanted is not None and (row is None or wanted.strip() not in (f'"{row["etag"]}"', "*")):
                conn.execute("ROLLBACK")
                return error(412, "precondition_failed")
            if row is None:
                conn.execute(
                    "INSERT INTO data (user_id, key, value, etag) VALUES (?, ?, ?, ?)",
                    (user["id"], key, value, etag),
                )
            else:
                conn.execute(
                    "UPDATE data SET value = ?, etag = ? WHERE user_id = ? AND key = ? AND etag = ?",
                    (value, etag, user["id"], key, row["etag"]),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        response = jsonify({"key": key, "value": body["value"]})
        response.headers["ETag"] = f'"{etag}"'
        return response

    @app.get("/members/<path:path>")
    def members(path: str):
        """A members-only file: a valid session, a path that stays inside the folder, the bytes."""
        if current_user() is None:
            return error(401, "unauthorized")
        target = (files / path).resolve()
        if not target.is_relative_to(files) or not target.is_file():
            return error(404, "not_found")
        response = send_file(target, conditional=True, etag=True, last_modified=target.stat().st_mtime)
        response.headers["Cache-Control"] = "private, no-cache"
        return response

    return app
