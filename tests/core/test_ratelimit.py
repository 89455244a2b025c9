"""Rate limits of api.md: the default per-IP limit on /api, per-endpoint limits, the switch, Redis."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import require
from tests.testplugins import hello

USER = {"X-Test-User": "1:alice"}
NOTE = json.dumps({"title": "groceries", "stars": 3})
REDIS_URL = "redis://127.0.0.1:6379"
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def post_note(client, ip: str = "127.0.0.1"):
    return client.post(
        "/api/hello/notes",
        data=NOTE,
        content_type="application/json",
        headers=USER,
        environ_base={"REMOTE_ADDR": ip},
    )


def get_from(client, ip: str, path: str = "/api/hello"):
    return client.get(path, environ_base={"REMOTE_ADDR": ip})


def notes_of(app) -> int:
    from core import get_db

    with app.app_context():
        return get_db()["hello_notes"].count(user_id=1)


def assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


# the default limit ---------------------------------------------------------------------------


@pytest.fixture
def three_per_minute(make_app):
    return make_app({"rate_limits": {"default": "3/minute"}}, plugins=[hello])


def test_default_limit_refuses_the_request_over_it(three_per_minute):
    client = three_per_minute.test_client()
    assert [client.get("/api/hello").status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(client.get("/api/hello"))


def test_limited_responses_carry_ratelimit_headers(three_per_minute):
    client = three_per_minute.test_client()
    responses = [client.get("/api/hello") for _ in range(4)]
    for response in responses:
        assert all(name in response.headers for name in RATE_HEADERS), dict(response.headers)
        assert response.headers["RateLimit-Limit"] == "3"
        assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]


def test_default_limit_counts_per_client_ip(three_per_minute):
    client = three_per_minute.test_client()
    for _ in range(3):
        get_from(client, "192.0.2.1")
    assert_rate_limited(get_from(client, "192.0.2.1"))
    assert get_from(client, "192.0.2.2").status_code == 200


def test_default_limit_applies_to_every_api_route(three_per_minute):
    client = three_per_minute.test_client()
    for path in ("/api/health", "/api/openapi.json", "/api/hello/search?q=a"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
    assert_rate_limited(client.get("/api/nothing-here"))


def test_default_limit_also_counts_refused_requests(three_per_minute):
    client = three_per_minute.test_client()
    for _ in range(3):
        assert client.get("/api/hello/admin").status_code == 401
    assert_rate_limited(client.get("/api/hello/admin"))


# a per-endpoint limit ------------------------------------------------------------------------


@pytest.fixture
def two_notes_per_minute(make_app):
    return make_app({"plugins": {"hello": {"per_minute": "2/minute"}}}, plugins=[hello])


def test_endpoint_limit_refuses_the_request_over_it(two_notes_per_minute):
    client = two_notes_per_minute.test_client()
    assert [post_note(client).status_code for _ in range(2)] == [201, 201]
    response = post_note(client)
    assert_rate_limited(response)
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert notes_of(two_notes_per_minute) == 2


def test_endpoint_limit_headers_report_the_tighter_limit(two_notes_per_minute):
    response = post_note(two_notes_per_minute.test_client())
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "1"


def test_endpoint_limit_leaves_other_routes_alone(two_notes_per_minute):
    client = two_notes_per_minute.test_client()
    for _ in range(3):
        post_note(client)
    assert client.get("/api/hello").status_code == 200


def test_endpoint_limit_counts_per_client_ip(two_notes_per_minute):
    client = two_notes_per_minute.test_client()
    for _ in range(2):
        post_note(client, "192.0.2.1")
    assert_rate_limited(post_note(client, "192.0.2.1"))
    assert post_note(client, "192.0.2.2").status_code == 201


# IPv6 clients --------------------------------------------------------------------------------


@pytest.fixture
def behind_a_proxy(make_app):
    """Three requests a minute per client, the client named by one trusted proxy's
    X-Forwarded-For, two notes a minute per client."""
    return make_app(
        {
            "security": {"trusted_proxies": 1},
            "rate_limits": {"default": "3/minute"},
            "plugins": {"hello": {"per_minute": "2/minute"}},
        },
        plugins=[hello],
    )


def forwarded(client, address: str, method: str = "GET", path: str = "/api/hello"):
    kwargs = {"data": NOTE, "content_type": "application/json"} if method == "POST" else {}
    headers = {**USER, "X-Forwarded-For": address}
    return client.open(
        path, method=method, headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}, **kwargs
    )


def test_two_addresses_of_one_ipv6_64_share_the_default_budget(behind_a_proxy):
    client = behind_a_proxy.test_client()
    for address in ("2001:db8:0:7::1", "2001:db8:0:7:ffff:ffff:ffff:ffff", "2001:0db8:0000:0007::abcd"):
        assert forwarded(client, address).status_code == 200
    assert_rate_limited(forwarded(client, "2001:db8:0:7:1234::5"))
    assert forwarded(client, "2001:db8:0:8::1").status_code == 200  # the next /64 is another client


def test_two_addresses_of_one_ipv6_64_share_an_endpoint_budget(behind_a_proxy):
    client = behind_a_proxy.test_client()
    assert forwarded(client, "2001:db8::1", "POST", "/api/hello/notes").status_code == 201
    assert forwarded(client, "2001:db8::2", "POST", "/api/hello/notes").status_code == 201
    assert_rate_limited(forwarded(client, "2001:0db8:0:0::3", "POST", "/api/hello/notes"))


def test_an_ipv4_mapped_address_is_the_ipv4_client(behind_a_proxy):
    client = behind_a_proxy.test_client()
    for address in ("192.0.2.7", "::ffff:192.0.2.7", "::ffff:c000:207"):
        assert forwarded(client, address).status_code == 200
    assert_rate_limited(forwarded(client, "192.0.2.7"))
    assert forwarded(client, "192.0.2.8").status_code == 200


@pytest.mark.parametrize(
    ("sent", "shown", "key"),
    [
        ("2001:0db8:0:0::1", "2001:db8::1", "2001:db8::/64"),
        ("2001:DB8:0:0:1:2:3:4", "2001:db8::1:2:3:4", "2001:db8::/64"),
        ("::ffff:1.2.3.4", "1.2.3.4", "1.2.3.4"),
        ("192.0.2.1", "192.0.2.1", "192.0.2.1"),
    ],
)
def test_client_ip_is_the_normal_full_address_and_the_key_its_64(behind_a_proxy, sent, shown, key):
    from core import client_ip, client_ip_key

    with behind_a_proxy.test_request_context("/api/hello", environ_base={"REMOTE_ADDR": sent}):
        assert (client_ip(), client_ip_key()) == (shown, key)


# the switch ----------------------------------------------------------------------------------


def test_disabled_rate_limits_limit_nothing(make_app):
    app = make_app(
        {
            "rate_limits": {"enabled": False, "default": "1/minute"},
            "plugins": {"hello": {"per_minute": "1/minute"}},
        },
        plugins=[hello],
    )
    client = app.test_client()
    assert {client.get("/api/hello").status_code for _ in range(5)} == {200}
    assert {post_note(client).status_code for _ in range(5)} == {201}
    assert notes_of(app) == 5


# Redis -----------------------------------------------------------------------------------------


def _redis():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)


def _redis_available() -> bool:
    try:
        return bool(_redis().ping())
    except Exception:
        return False


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own; its keys are deleted afterwards."""
    require(_redis_available(), f"no Redis answers at {REDIS_URL}")
    prefix = f"annex_test_{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = _redis()
    keys = list(connection.scan_iter(match=f"{prefix}*"))
    if keys:
        connection.delete(*keys)


def redis_config(prefix: str, default: str = "3/minute", **extra) -> dict:
    return {"rate_limits": {"storage": REDIS_URL, "key_prefix": prefix, "default": default}, **extra}


@pytest.mark.redis
def test_redis_storage_enforces_the_default_limit(make_app, redis_prefix):
    client = make_app(redis_config(redis_prefix), plugins=[hello]).test_client()
    assert [client.get("/api/hello").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/hello")
    assert_rate_limited(response)
    assert response.headers["RateLimit-Limit"] == "3"


@pytest.mark.redis
def test_redis_storage_keeps_counters_under_the_key_prefix(make_app, redis_prefix):
    make_app(redis_config(redis_prefix), plugins=[hello]).test_client().get("/api/hello")
    assert list(_redis().scan_iter(match=f"{redis_prefix}*"))


@pytest.mark.redis
def test_two_instances_sharing_redis_share_counters(make_app, redis_prefix):
    first = make_app(redis_config(redis_prefix), plugins=[hello]).test_client()
    second = make_app(redis_config(redis_prefix), plugins=[hello]).test_client()
    assert first.get("/api/hello").status_code == 200
    assert second.get("/api/hello").status_code == 200
    assert first.get("/api/hello").status_code == 200
    assert_rate_limited(second.get("/api/hello"))
    assert_rate_limited(first.get("/api/hello"))


@pytest.mark.redis
def test_two_instances_share_endpoint_limits(make_app, redis_prefix):
    config = redis_config(redis_prefix, default="100/minute", plugins={"hello": {"per_minute": "2/minute"}})
    first = make_app(config, plugins=[hello])
    second = make_app(config, plugins=[hello])
    assert post_note(first.test_client()).status_code == 201
    assert post_note(second.test_client()).status_code == 201
    assert_rate_limited(post_note(first.test_client()))


@pytest.mark.redis
def test_different_key_prefixes_keep_separate_counters(make_app, redis_prefix):
    first = make_app(redis_config(redis_prefix + "_a", default="1/minute"), plugins=[hello]).test_client()
    second = make_app(redis_config(redis_prefix + "_b", default="1/minute"), plugins=[hello]).test_client()
    assert first.get("/api/hello").status_code == 200
    assert second.get("/api/hello").status_code == 200
    assert_rate_limited(first.get("/api/hello"))
