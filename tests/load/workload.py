"""A bounded, concurrent workload against a live Annex server, and the checks run on its record.

Each client is a thread speaking HTTP/1.1 to 127.0.0.1 with ``http.client``, one connection per
request (so requests spread over the workers). Clients come in groups that share one account:
they read and write the same keys with ``If-Match``, so some writes conflict for real. Every
client also has accounts of its own, which it alone writes (a 412 there is always a defect).

Every exchange is recorded with its start and end time. Afterwards ``verify`` compares the record
with what the database holds:

- every registration, login and refresh acknowledged with 2xx is there (user, live session,
  generation at least the acknowledged one);
- each key's acknowledged writes form one unbroken chain of ``If-Match`` ETags ending at the
  stored value: a write acknowledged but not on the chain is lost; two writes that both replaced
  one version are a lost update; a stored value that nobody wrote is corruption;
- every 412 coincides with another client's write that replaced the same version and began
  before the 412 came back (and the client's next GET shows a different ETag);
- each profile field holds a value some client wrote, and no acknowledged write of that field
  started after the stored value's write had been acknowledged (last writer wins).

A write whose answer never came (connection error, 5xx) is "unknown": it may or may not have
committed, and the checks accept either, but never a fork or a lost acknowledged write.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import statistics
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from tests.load.harness import PASSWORD

#: Relative frequency of each operation in a client's loop.
OPERATIONS = {
    "data_shared": 34,
    "data_own": 20,
    "profile": 20,
    "refresh": 10,
    "login": 8,
    "register": 8,
}
SHARED_KEYS = ("alpha", "beta", "gamma")
OWN_KEYS = ("notes", "prefs")
PROFILE_FIELDS = ("display_name", "bio", "avatar_url")
#: What each request may answer under load (5xx and connection errors are judged by each test).
EXPECTED = {
    "register": {201},
    "login": {200},
    "refresh": {200},
    "data_get": {200, 404},
    "data_put": {200, 201, 412},
    "profile": {200},
}
ACKED, CONFLICT, UNKNOWN, REFUSED = "acked", "conflict", "unknown", "refused"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Call:
    """One HTTP exchange; ``status`` None means no response (connection error or timeout)."""

    client: int
    op: str
    method: str
    path: str
    status: int | None
    code: str | None
    started: float
    ended: float
    detail: str = ""


@dataclass
class Account:
    username: str
    shared: bool


@dataclass
class Session:
    account: Account
    access: str
    refresh: str
    sid: int
    generation: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


@dataclass
class Write:
    """One ``PUT /api/user/data/<key>``; ``if_match`` None means a create (``If-None-Match: *``)."""

    username: str
    key: str
    attempt: str
    value: Any
    if_match: str | None
    outcome: str
    etag: str | None
    started: float
    ended: float
    shared: bool


@dataclass
class ProfileWrite:
    username: str
    field: str
    value: str
    outcome: str
    started: float
    ended: float


@dataclass
class Token:
    """A token pair the server acknowledged: its session and refresh generation."""

    username: str
    user_id: int
    sid: int
    generation: int


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (the test only reads what the server put there)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def exchange(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, raw
    finally:
        conn.close()


class Client:
    def __init__(self, run: Workload, cid: int, shared_account: Account):
        self.run = run
        self.cid = cid
        self.rng = random.Random(run.seed * 1009 + cid)
        self.shared_account = shared_account
        self.own_accounts: list[Account] = []
        self.sessions: dict[bool, Session | None] = {True: None, False: None}
        self.seq = 0
        self.registrations = 0
        self.calls: list[Call] = []
        self.writes: list[Write] = []
        self.profile_writes: list[ProfileWrite] = []
        self.observations: list[tuple[str, str, str, str]] = []  # (username, key, etag, attempt)
        self.tokens: list[Token] = []
        self.uncertain_sessions: set[int] = set()
        self.registered: list[str] = []
        self.violations: list[str] = []

    # -- plumbing ---------------------------------------------------------------------------------

    def call(
        self, op: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply | None:
        started = time.monotonic()
        try:
            status, response_headers, raw = exchange(self.run.port, method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self.calls.append(
                Call(self.cid, op, method, path, None, None, started, time.monotonic(), repr(exc))
            )
            return None
        ended = time.monotonic()
        data: Any = None
        if response_headers.get("content-type", "").startswith("application/json") and raw:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
        code = (
            data["error"].get("code")
            if isinstance(data, dict) and isinstance(data.get("error"), dict)
            else None
        )
        detail = ""
        if status >= 500 or b"database is locked" in raw.lower() or status not in EXPECTED.get(op, {status}):
            detail = raw[:400].decode("utf-8", "replace")
        self.calls.append(Call(self.cid, op, method, path, status, code, started, ended, detail))
        return Reply(status, response_headers, data)

    def last_call(self) -> Call:
        return self.calls[-1]

    def next_attempt(self) -> str:
        self.seq += 1
        return f"{self.cid}.{self.seq}"

    def adopt(self, reply: Reply, account: Account) -> Session:
        """The session of a token body the server acknowledged."""
        access, refresh = reply.body["access_token"], reply.body["refresh_token"]
        refresh_claims = claims(refresh)
        session = Session(account, access, refresh, int(refresh_claims["sid"]), int(refresh_claims["gen"]))
        self.tokens.append(
            Token(account.username, int(refresh_claims["sub"]), session.sid, session.generation)
        )
        return session

    def session(self, shared: bool) -> Session | None:
        """The client's session on its shared or own account, logging in again when it has none."""
        current = self.sessions[shared]
        if current is None:
            if shared:
                account = self.shared_account
            elif self.own_accounts:
                account = self.own_accounts[-1]
            else:
                self.register()
                return self.sessions[False]
            self.sessions[shared] = current = self.login_to(account)
        return current

    def pause_after(self, reply: Reply | None) -> None:
        """Back off briefly after a failure, so an outage is not a busy loop."""
        if reply is None or reply.status >= 500:
            time.sleep(0.05)

    # -- the client's life ------------------------------------------------------------------------

    def main(self) -> None:
        try:
            self.register()
            self.sessions[True] = self.login_to(self.shared_account)
            names, weights = zip(*OPERATIONS.items(), strict=True)
            while time.monotonic() < self.run.deadline:
                getattr(self, self.rng.choices(names, weights)[0])()
        except Exception:
            self.violations.append(f"client {self.cid} crashed: {traceback.format_exc()}")

    def register(self) -> None:
        name = f"load{self.cid}x{self.registrations}"
        self.registrations += 1
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        reply = self.call("register", "POST", "/api/auth/register", body)
        if reply is not None and reply.status == 201:
            account = Account(name, shared=False)
            self.own_accounts.append(account)
            self.registered.append(name)
            self.sessions[False] = self.adopt(reply, account)
        self.pause_after(reply)

    def login_to(self, account: Account) -> Session | None:
        body = {"username": account.username, "password": PASSWORD}
        reply = self.call("login", "POST", "/api/auth/login", body)
        self.pause_after(reply)
        if reply is not None and reply.status == 200:
            return self.adopt(reply, account)
        return None

    def login(self) -> None:
        shared = self.rng.random() < 0.5
        account = self.shared_account if shared else (self.own_accounts or [None])[-1]
        if account is None:
            self.register()
            return
        session = self.login_to(account)
        if session is not None:
            self.sessions[shared] = session

    def refresh(self) -> None:
        shared = self.rng.random() < 0.5
        session = self.session(shared)
        if session is None:
            return
        # A refresh whose answer was lost may have rotated the session: present the same token
        # again at once, within the grace window, as an honest client retrying would.
        give_up = time.monotonic() + 8
        while True:
            reply = self.call("refresh", "POST", "/api/auth/refresh", {"refresh_token": session.refresh})
            if reply is not None and reply.status < 500:
                break
            self.uncertain_sessions.add(session.sid)
            if time.monotonic() > give_up:
                return
            time.sleep(0.2)
        if reply.status == 200:
            self.sessions[shared] = self.adopt(reply, session.account)
        else:
            self.sessions[shared] = None

    def data_shared(self) -> None:
        self.data(shared=True)

    def data_own(self) -> None:
        self.data(shared=False)

    def data(self, shared: bool) -> None:
        session = self.session(shared)
        if session is None:
            return
        key = self.rng.choice(SHARED_KEYS if shared else OWN_KEYS)
        username, path = session.account.username, f"/api/user/data/{key}"
        reply = self.call("data_get", "GET", path, headers=session.auth)
        if reply is None or reply.status not in (200, 404):
            self.forget_on_401(reply, shared)
            self.pause_after(reply)
            return
        if reply.status == 200:
            if_match: str | None = reply.headers["etag"]
            self.observations.append((username, key, if_match, reply.body["value"]["a"]))
            precondition = {"If-Match": if_match}
        else:
            if_match = None
            precondition = {"If-None-Match": "*"}
        attempt = self.next_attempt()
        value = {"a": attempt, "by": self.cid, "n": self.rng.random(), "pad": "x" * self.rng.randrange(300)}
        reply = self.call("data_put", "PUT", path, {"value": value}, {**session.auth, **precondition})
        call = self.last_call()
        outcome, etag = REFUSED, None
        if reply is None or reply.status >= 500:
            outcome = UNKNOWN
        elif reply.status in (200, 201):
            outcome, etag = ACKED, reply.headers.get("etag")
            if reply.status != (201 if if_match is None else 200):
                self.violations.append(f"PUT {username}/{key} (If-Match {if_match}) answered {reply.status}")
            if reply.body.get("value") != value:
                self.violations.append(f"PUT {username}/{key} echoed {reply.body!r}, not the value sent")
        elif reply.status == 412:
            outcome = CONFLICT
            self.confirm_conflict(session, username, key, if_match, shared)
        self.writes.append(
            Write(username, key, attempt, value, if_match, outcome, etag, call.started, call.ended, shared)
        )
        self.forget_on_401(reply, shared)
        self.pause_after(reply)

    def confirm_conflict(self, session: Session, username: str, key: str, if_match: str | None, shared: bool):
        """After a 412, the key must really have moved on: the next GET shows another ETag."""
        if not shared:
            self.violations.append(f"412 on {username}/{key}, a key no other client writes")
        check = self.call("data_get", "GET", f"/api/user/data/{key}", headers=session.auth)
        if check is None or check.status >= 500:
            return
        if check.status == 200:
            self.observations.append((username, key, check.headers["etag"], check.body["value"]["a"]))
            if if_match is not None and check.headers["etag"] == if_match:
                self.violations.append(
                    f"412 on {username}/{key} although If-Match {if_match} is still current"
                )
        elif check.status == 404 and if_match is None:
            self.violations.append(f"412 creating {username}/{key} (If-None-Match: *) although it is absent")

    def profile(self) -> None:
        shared = self.rng.random() < 0.5
        session = self.session(shared)
        if session is None:
            return
        attempt = self.next_attempt()
        values = {
            "display_name": f"name {attempt}",
            "bio": f"bio {attempt} " + "lorem ipsum " * self.rng.randrange(40),
            "avatar_url": f"https://img.example.com/{attempt}.png",
        }
        fields = self.rng.sample(PROFILE_FIELDS, self.rng.randint(1, len(PROFILE_FIELDS)))
        body = {name: values[name] for name in fields}
        reply = self.call("profile", "PUT", "/api/user/profile", body, session.auth)
        call = self.last_call()
        if reply is None or reply.status >= 500:
            outcome = UNKNOWN
        elif reply.status == 200:
            outcome = ACKED
            wrong = {name: reply.body.get(name) for name in fields if reply.body.get(name) != body[name]}
            if wrong:
                self.violations.append(f"profile PUT {body} answered other values: {wrong}")
        else:
            outcome = REFUSED
        for name in fields:
            self.profile_writes.append(
                ProfileWrite(session.account.username, name, body[name], outcome, call.started, call.ended)
            )
        self.forget_on_401(reply, shared)
        self.pause_after(reply)

    def forget_on_401(self, reply: Reply | None, shared: bool) -> None:
        if reply is not None and reply.status == 401:
            self.sessions[shared] = None


class Workload:
    """``clients`` threads for ``duration`` seconds; groups of ``group_size`` share one account."""

    def __init__(
        self, port: int, *, clients: int = 64, duration: float = 15.0, group_size: int = 4, seed: int = 1
    ):
        self.port = port
        self.seed = seed
        self.duration = duration
        self.deadline = 0.0
        self.started = self.ended = 0.0
        self.shared_accounts = [
            Account(f"shared{group}", shared=True) for group in range(clients // group_size)
        ]
        self.clients = [Client(self, cid, self.shared_accounts[cid // group_size]) for cid in range(clients)]
        self.threads: list[threading.Thread] = []

    def prepare(self) -> None:
        """Register the shared accounts before the clients start."""
        for account in self.shared_accounts:
            body = {
                "username": account.username,
                "email": f"{account.username}@example.com",
                "password": PASSWORD,
            }
            status, _, raw = exchange(self.port, "POST", "/api/auth/register", body)
            assert status == 201, raw

    def start(self) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.duration
        self.threads = [
            threading.Thread(target=client.main, name=f"load-client-{client.cid}", daemon=True)
            for client in self.clients
        ]
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=max(1.0, self.deadline - time.monotonic()) + 120)
        alive = [thread.name for thread in self.threads if thread.is_alive()]
        self.ended = time.monotonic()
        assert not alive, f"clients still running 120 s after the deadline: {alive}"

    def run(self) -> None:
        self.prepare()
        self.start()
        self.join()

    # -- the record -------------------------------------------------------------------------------

    def gather(self, name: str) -> list[Any]:
        return [item for client in self.clients for item in getattr(client, name)]

    @property
    def calls(self) -> list[Call]:
        return self.gather("calls")

    @property
    def writes(self) -> list[Write]:
        return self.gather("writes")

    def server_errors(self) -> list[Call]:
        return [call for call in self.calls if call.status is not None and call.status >= 500]

    def connection_errors(self) -> list[Call]:
        return [call for call in self.calls if call.status is None]

    def unexpected(self) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.status is not None and call.status < 500 and call.status not in EXPECTED[call.op]
        ]

    def locked(self) -> list[Call]:
        return [call for call in self.calls if "database is locked" in call.detail.lower()]

    def summary(self) -> str:
        calls = self.calls
        elapsed = (self.ended or time.monotonic()) - self.started
        statuses = Counter(str(call.status) for call in calls)
        writes = self.writes
        outcomes = Counter(f"{'shared' if w.shared else 'own'}:{w.outcome}" for w in writes)
        lines = [
            f"{len(calls)} requests in {elapsed:.1f} s = {len(calls) / elapsed:.0f} requests/s "
            f"from {len(self.clients)} clients",
            "statuses: " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())),
            "data PUT outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())),
            f"registrations acknowledged: {len(self.gather('registered'))}",
        ]
        by_op: dict[str, list[float]] = defaultdict(list)
        for call in calls:
            if call.status is not None:
                by_op[call.op].append((call.ended - call.started) * 1000)
        for op, durations in sorted(by_op.items()):
            durations.sort()
            p95 = durations[min(len(durations) - 1, int(len(durations) * 0.95))]
            median = statistics.median(durations)
            lines.append(f"  {op:9} n={len(durations):5}  p50={median:6.1f} ms  p95={p95:6.1f} ms")
        return "\n".join(lines)


def describe(calls: list[Call], limit: int = 12) -> str:
    shown = [
        f"{call.op} {call.method} {call.path} -> {call.status} {call.code or ''} {call.detail[:200]}"
        for call in calls[:limit]
    ]
    more = f"\n... and {len(calls) - limit} more" if len(calls) > limit else ""
    return "\n".join(shown) + more


# ------------------------------------------------------------------------------------------------
# verification against the database
# ------------------------------------------------------------------------------------------------


def verify(run: Workload, state: dict[str, Any]) -> list[str]:
    """Everything the record and the database disagree on, as readable sentences."""
    problems = list(run.gather("violations"))
    problems += _check_accounts(run, state)
    problems += _check_items(run, state)
    problems += _check_profiles(run, state)
    return problems


def _check_accounts(run: Workload, state: dict[str, Any]) -> list[str]:
    problems = []
    users, sessions = state["users"], state["sessions"]
    for name in run.gather("registered") + [account.username for account in run.shared_accounts]:
        if name not in users:
            problems.append(f"registration of {name} was acknowledged (201) but auth_users has no such user")
    uncertain = set(run.gather("uncertain_sessions"))
    newest: dict[int, int] = {}
    for token in run.gather("tokens"):
        newest[token.sid] = max(newest.get(token.sid, 0), token.generation)
        stored = sessions.get(token.sid)
        if stored is None:
            problems.append(
                f"session {token.sid} of {token.username} was handed out but is not in auth_sessions"
            )
        elif stored[0] != token.user_id or users.get(token.username) != token.user_id:
            problems.append(f"session {token.sid} belongs to user {stored[0]}, token says {token.user_id}")
        elif stored[2] is not None:
            problems.append(f"session {token.sid} of {token.username} was revoked, though nobody logged out")
    for sid, generation in newest.items():
        stored = sessions.get(sid)
        if stored is None:
            continue
        if stored[1] < generation or (stored[1] != generation and sid not in uncertain):
            problems.append(
                f"session {sid}: refresh generation {generation} was acknowledged, "
                f"auth_sessions holds {stored[1]}"
            )
    return problems


def _check_items(run: Workload, state: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    users, items = state["users"], state["items"]
    writes_by_key: dict[tuple[str, str], list[Write]] = defaultdict(list)
    for write in run.writes:
        writes_by_key[(write.username, write.key)].append(write)
    producers: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)

    def produced(where: tuple[str, str], etag: str, attempt: str, how: str) -> None:
        known = producers[where].setdefault(etag, attempt)
        if known != attempt:
            problems.append(f"{where}: ETag {etag} stood for write {known} and, {how}, for write {attempt}")

    for username, key, etag, attempt in run.gather("observations"):
        produced((username, key), etag, attempt, "in a later GET")
    for write in run.writes:
        if write.outcome == ACKED and write.etag:
            produced((write.username, write.key), write.etag, write.attempt, "in its PUT response")

    ours = set(writes_by_key) | {(name, key) for name in users for (uid, key) in items if uid == users[name]}
    for where in sorted(ours):
        username, key = where
        attempts = {write.attempt: write for write in writes_by_key.get(where, [])}
        stored = items.get((users.get(username), key))
        final = None
        if stored is not None:
            etag, value = f'"{stored[0]}"', json.loads(stored[1])
            final = value.get("a") if isinstance(value, dict) else None
            write = attempts.get(final)
            if write is None:
                problems.append(f"{where} holds {value!r}, which no client wrote")
                continue
            if write.outcome not in (ACKED, UNKNOWN):
                problems.append(
                    f"{where} holds the value of write {final}, which was refused ({write.outcome})"
                )
            if write.value != value:
                problems.append(f"{where} holds {value!r}, write {final} sent {write.value!r}")
            produced(where, etag, final, "in the database")
        seen = set(producers[where].values())
        committed = {
            a for a, w in attempts.items() if w.outcome == ACKED or (w.outcome == UNKNOWN and a in seen)
        }
        replaced: dict[str | None, list[str]] = defaultdict(list)
        for attempt in committed:
            replaced[attempts[attempt].if_match].append(attempt)
        for parent, rivals in replaced.items():
            if len(rivals) > 1:
                problems.append(
                    f"{where}: lost update, writes {sorted(rivals)} were all accepted on top of "
                    f"{parent or 'an absent key'}"
                )
        if stored is None:
            if committed:
                problems.append(
                    f"{where}: writes {sorted(committed)} were acknowledged but the key is absent"
                )
            continue
        chain: set[str] = set()
        current: str | None = final
        while current is not None and current not in chain:
            chain.add(current)
            parent = attempts[current].if_match
            if parent is None:
                break
            current = producers[where].get(parent)
            if current is None or current not in attempts:
                problems.append(f"{where}: the chain of versions breaks at ETag {parent}")
                break
        lost = sorted(a for a in committed if attempts[a].outcome == ACKED and a not in chain)
        if lost:
            problems.append(f"{where}: acknowledged writes {lost} are not in the stored history (lost)")
        for write in attempts.values():
            if write.outcome != CONFLICT:
                continue
            rivals = [
                a
                for a in committed
                if a != write.attempt
                and attempts[a].if_match == write.if_match
                and attempts[a].started < write.ended
            ]
            if not rivals:
                problems.append(
                    f"{where}: write {write.attempt} got 412 for If-Match {write.if_match}, "
                    "but no other write replaced that version before the 412 came back"
                )
    return problems


def _check_profiles(run: Workload, state: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    users, profiles = state["users"], state["profiles"]
    by_field: dict[tuple[str, str], list[ProfileWrite]] = defaultdict(list)
    for write in run.gather("profile_writes"):
        by_field[(write.username, write.field)].append(write)
    for (username, name), writes in sorted(by_field.items()):
        stored = profiles.get(users.get(username), {}).get(name)
        acked = [write for write in writes if write.outcome == ACKED]
        if stored is None:
            if acked:
                problems.append(
                    f"profile {username}.{name}: {len(acked)} writes acknowledged, the field is empty"
                )
            continue
        matches = [write for write in writes if write.value == stored and write.outcome in (ACKED, UNKNOWN)]
        if not matches:
            problems.append(f"profile {username}.{name} holds {stored[:60]!r}, which no accepted write sent")
            continue
        winner = matches[0]
        if winner.outcome == ACKED:
            later = [write.value[:40] for write in acked if write.started > winner.ended]
            if later:
                problems.append(
                    f"profile {username}.{name} holds {stored[:40]!r}, but {len(later)} acknowledged writes "
                    f"started after it was acknowledged (e.g. {later[0]!r}): lost update"
                )
    return problems


def api_readback(run: Workload, state: dict[str, Any]) -> list[str]:
    """What a user sees through the API after the load (a fresh login to each shared account)
    must be what the database holds."""
    problems = []
    users = state["users"]
    for account in run.shared_accounts:
        body = {"username": account.username, "password": PASSWORD}
        status, _, raw = exchange(run.port, "POST", "/api/auth/login", body)
        if status != 200:
            problems.append(f"login to {account.username} after the load answered {status}")
            continue
        auth = {"Authorization": f"Bearer {json.loads(raw)['access_token']}"}
        uid = users[account.username]
        stored = {
            key: json.loads(value) for (owner, key), (_, value) in state["items"].items() if owner == uid
        }
        status, _, raw = exchange(run.port, "GET", "/api/user/data", headers=auth)
        if status != 200 or json.loads(raw)["items"] != stored:
            problems.append(f"GET /api/user/data of {account.username} differs from the database")
        for key, (etag, _) in ((k, v) for (owner, k), v in state["items"].items() if owner == uid):
            status, headers, _ = exchange(run.port, "GET", f"/api/user/data/{key}", headers=auth)
            if status != 200 or headers.get("etag") != f'"{etag}"':
                problems.append(
                    f"GET {account.username}/{key}: {status} ETag {headers.get('etag')}, stored {etag}"
                )
        status, _, raw = exchange(run.port, "GET", "/api/user/profile", headers=auth)
        profile = json.loads(raw) if status == 200 else {}
        expected = state["profiles"].get(uid, {})
        if any(profile.get(name) != expected.get(name) for name in PROFILE_FIELDS):
            problems.append(f"GET /api/user/profile of {account.username} differs from the database")
    return problems
