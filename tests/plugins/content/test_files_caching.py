"""Members-only files are revalidated, never shared: ETag, Last-Modified, 304, private no-cache;
and behind nginx, an empty answer with X-Accel-Redirect."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from tests.plugins.content.conftest import assert_error, grant, signup

PAGE = "/members/docs/page.html"


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def cache_directives(response) -> set[str]:
    return {
        part.strip().lower() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()
    }


def test_file_carries_etag_last_modified_and_private_no_cache(client, alice):
    response = client.get(PAGE, headers=alice.headers)
    assert response.status_code == 200
    assert response.headers.get("ETag", "").endswith('"')
    assert parsedate_to_datetime(response.headers["Last-Modified"])
    assert cache_directives(response) == {"private", "no-cache"}


def test_last_modified_is_the_files_modification_time(client, alice, root):
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    os.utime(root / "docs" / "page.html", (when.timestamp(), when.timestamp()))
    response = client.get(PAGE, headers=alice.headers)
    assert parsedate_to_datetime(response.headers["Last-Modified"]) == when


def test_directory_index_carries_the_caching_headers(client, alice):
    response = client.get("/members/docs/", headers=alice.headers)
    assert response.status_code == 200
    assert "ETag" in response.headers and "Last-Modified" in response.headers
    assert cache_directives(response) == {"private", "no-cache"}


def test_etag_is_stable_while_the_file_is_unchanged(client, alice):
    first = client.get(PAGE, headers=alice.headers).headers["ETag"]
    assert client.get(PAGE, headers=alice.headers).headers["ETag"] == first


def test_matching_if_none_match_is_a_304_without_body(client, alice):
    etag = client.get(PAGE, headers=alice.headers).headers["ETag"]
    response = client.get(PAGE, headers={**alice.headers, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers.get("ETag") == etag
    assert cache_directives(response) == {"private", "no-cache"}


def test_if_none_match_list_containing_the_etag_is_a_304(client, alice):
    etag = client.get(PAGE, headers=alice.headers).headers["ETag"]
    response = client.get(PAGE, headers={**alice.headers, "If-None-Match": f'"other", {etag}'})
    assert response.status_code == 304


def test_stale_if_none_match_gets_the_full_file(client, alice):
    response = client.get(PAGE, headers={**alice.headers, "If-None-Match": '"not-the-etag"'})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>docs page</title>"


def test_if_modified_since_last_modified_is_a_304(client, alice):
    last_modified = client.get(PAGE, headers=alice.headers).headers["Last-Modified"]
    response = client.get(PAGE, headers={**alice.headers, "If-Modified-Since": last_modified})
    assert response.status_code == 304
    assert response.data == b""


def test_if_modified_since_before_the_change_gets_the_file(client, alice, root):
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    os.utime(root / "docs" / "page.html", (when.timestamp(), when.timestamp()))
    earlier = format_datetime(datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)
    response = client.get(PAGE, headers={**alice.headers, "If-Modified-Since": earlier})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>docs page</title>"


def test_changed_file_gets_a_new_etag_and_is_sent_again(client, alice, root):
    old = client.get(PAGE, headers=alice.headers)
    path = root / "docs" / "page.html"
    path.write_text("<title>docs page, second edition</title>")
    later = path.stat().st_mtime + 60
    os.utime(path, (later, later))
    response = client.get(
        PAGE,
        headers={
            **alice.headers,
            "If-None-Match": old.headers["ETag"],
            "If-Modified-Since": old.headers["Last-Modified"],
        },
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>docs page, second edition</title>"
    assert response.headers["ETag"] != old.headers["ETag"]


def test_anonymous_conditional_get_is_401_not_304(client, alice):
    fresh = client.get(PAGE, headers=alice.headers)
    response = client.get(
        PAGE,
        headers={
            "If-None-Match": fresh.headers["ETag"],
            "If-Modified-Since": fresh.headers["Last-Modified"],
        },
    )
    assert_error(response, 401, "unauthorized")


def test_errors_are_not_marked_cacheable(client, alice):
    response = client.get("/members/nope.html", headers=alice.headers)
    assert response.status_code == 404
    assert "public" not in cache_directives(response)


# -------------------------------------------------------------------------------------------------
# X-Accel-Redirect (behind nginx)
# -------------------------------------------------------------------------------------------------

PREFIX = "/_protected/"


@pytest.fixture
def accel_app(make_content_app):
    return make_content_app(
        {"accel_redirect_prefix": PREFIX, "rules": [{"pattern": "premium/*", "roles": ["premium"]}]}
    )


@pytest.fixture
def accel(accel_app):
    return accel_app.test_client(use_cookies=False)


@pytest.mark.parametrize("path", ["guide.html", "docs/page.html", "pixel.png", "docs/deep/er/leaf.html"])
def test_accel_mode_answers_an_empty_200_naming_the_file(accel, path):
    carol = signup(accel, "carol")
    response = accel.get(f"/members/{path}", headers=carol.headers)
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"] == PREFIX + path


def test_accel_mode_keeps_private_no_cache(accel):
    carol = signup(accel, "carol")
    response = accel.get("/members/guide.html", headers=carol.headers)
    assert cache_directives(response) == {"private", "no-cache"}


def test_accel_mode_directory_names_a_file_under_the_prefix(accel):
    carol = signup(accel, "carol")
    response = accel.get("/members/docs/", headers=carol.headers)
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"].startswith(PREFIX + "docs/")


def test_accel_mode_anonymous_gets_no_redirect_header(accel):
    response = accel.get("/members/guide.html")
    assert_error(response, 401, "unauthorized")
    assert "X-Accel-Redirect" not in response.headers


def test_accel_mode_missing_file_is_404_without_header(accel):
    carol = signup(accel, "carol")
    response = accel.get("/members/nope.html", headers=carol.headers)
    assert_error(response, 404, "not_found")
    assert "X-Accel-Redirect" not in response.headers


def test_accel_mode_applies_the_rules(accel, accel_app):
    carol = signup(accel, "carol")
    response = accel.get("/members/premium/report.html", headers=carol.headers)
    assert_error(response, 403, "forbidden")
    assert "X-Accel-Redirect" not in response.headers
    grant(accel_app, "carol", "premium")
    response = accel.get("/members/premium/report.html", headers=carol.headers)
    assert response.headers["X-Accel-Redirect"] == PREFIX + "premium/report.html"


def test_without_accel_prefix_no_redirect_header_is_sent(client, alice):
    response = client.get("/members/guide.html", headers=alice.headers)
    assert "X-Accel-Redirect" not in response.headers
    assert response.data
