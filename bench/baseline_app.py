"""The floor we measure ourselves against: hand-written Flask + PyJWT + sqlite3 + bcrypt.

It does the same work as Annex's routes (validation, a bcrypt behind HMAC-SHA-256, sessions
checked by primary key on every request, JWTs, ETags, the security headers the contract
requires on every response), with none of the framework: one file, raw SQL, a connection per
thread. Run: ``gunicorn 'bench.baseline_app:create_app()'`` with ``BASELINE_DATABASE`` pointing
at a SQLite file made by ``bench/seed.py --baseline``.
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

import bcrypt
import jwt
from flask import Flask, jsonify, request

KEY = os.environ.get("BASELINE_SECRET", "baseline-secret-" + "x" * 32)
ROUNDS = int(os.environ.get("BASELINE_ROUNDS", "12"))
USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT NOT NULL, email TEXT NOT NULL,
    password_hash TEXT NOT NULL, created_at REAL NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS users_username ON users (lower(username));
CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (lower(email));
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, revoked_at REAL,
    expires_at REAL NOT NULL);
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
        response.headers.update(HEADERS)
        return response

    def error(status: int, code: str):
        return jsonify({"error": {"code": code, "message": code}}), status

    def tokens(user_id: int) -> dict:
        now = int(time.time())
        cur = db().execute(
            "INSERT INTO sessions (user_id, expires_at) VALUES (?, ?)", (user_id, now + 2592000)
        )
        sid = cur.lastrowid
        claims = {"sub": str(user_id), "sid": sid, "iat": now, "aud": "annex", "iss": "baseline"}
        access = jwt.encode(
            {**claims, "exp": now + 900, "typ": "access", "jti": secrets.token_urlsafe(8)}, KEY, "HS256"
        )
        refresh = jwt.encode(
            {**claims, "exp": now + 1209600, "typ": "refresh", "jti": secrets.token_urlsafe(8)}, KEY, "HS256"
        )
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": 900}

    def current_user() -> sqlite3.Row | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(header[7:], KEY, algorithms=["HS256"], audience="annex", issuer="baseline")
        except jwt.PyJWTError:
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
        etag = secrets.token_hex(8)
        db().execute(
            "INSERT INTO data (user_id, key, value, etag) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, key)"
            " DO UPDATE SET value = excluded.value, etag = excluded.etag",
            (user["id"], key, json.dumps(body["value"]), etag),
        )
        response = jsonify({"key": key, "value": body["value"]})
        response.headers["ETag"] = f'"{etag}"'
        return response

    return app
