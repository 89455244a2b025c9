"""Custom fields declared in ``[plugins.profile.fields]``: typed, validated, stored schemaless."""

from __future__ import annotations

import re

import pytest

from core import ConfigError
from tests.plugins.profile.conftest import (
    BUILTIN_FIELDS,
    field_errors,
    login,
    profile_of,
    put_profile,
    signup,
)

FIELDS = {
    "website": {"type": "url"},
    "shoe_size": {"type": "integer"},
    "newsletter": {"type": "boolean"},
    "pronouns": {"type": "string", "max_length": 12},
    "motto": {"type": "string"},
    "homepage": {"type": "url", "max_length": 30},
}


@pytest.fixture
def app(make_profile_app):
    return make_profile_app(fields=FIELDS)


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def test_declared_fields_appear_empty_in_a_new_profile(client, alice):
    profile = profile_of(client, alice)
    for name in FIELDS:
        assert name in profile and profile[name] is None, name


def test_every_field_type_round_trips_with_its_json_type(client, alice):
    values = {
        "website": "https://alice.example/",
        "shoe_size": 38,
        "newsletter": False,
        "pronouns": "she/her",
        "motto": "carpe diem",
        "homepage": "http://a.example/",
    }
    response = put_profile(client, alice, values)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {name: response.get_json()[name] for name in values} == values
    profile = profile_of(client, alice)
    for name, value in values.items():
        assert profile[name] == value and type(profile[name]) is type(value), name


@pytest.mark.parametrize("value", [True, False])
def test_boolean_field_stays_a_boolean(client, alice, value):
    put_profile(client, alice, {"newsletter": value})
    assert profile_of(client, alice)["newsletter"] is value


@pytest.mark.parametrize("value", [0, -7, 2**31, 2**63 - 1, -(2**63) + 1])
def test_integer_field_keeps_64_bit_values(client, alice, value):
    response = put_profile(client, alice, {"shoe_size": value})
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = profile_of(client, alice)["shoe_size"]
    assert stored == value and type(stored) is int


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shoe_size", "38"),
        ("shoe_size", 38.5),
        ("shoe_size", True),
        ("shoe_size", [38]),
        ("newsletter", "true"),
        ("newsletter", 1),
        ("newsletter", 0),
        ("pronouns", 5),
        ("motto", {"a": 1}),
        ("website", "ftp://alice.example/"),
        ("website", "javascript:alert(1)"),
        ("website", "alice.example"),
        ("website", 7),
    ],
)
def test_values_of_the_wrong_type_are_named_in_a_422(client, alice, field, value):
    assert field in field_errors(put_profile(client, alice, {field: value}))
    assert profile_of(client, alice)[field] is None


def test_string_max_length_is_enforced(client, alice):
    assert put_profile(client, alice, {"pronouns": "x" * 12}).status_code == 200
    assert "pronouns" in field_errors(put_profile(client, alice, {"pronouns": "x" * 13}))
    assert profile_of(client, alice)["pronouns"] == "x" * 12


def test_url_max_length_is_enforced(client, alice):
    short = "http://a.example/" + "p" * (30 - len("http://a.example/"))
    assert put_profile(client, alice, {"homepage": short}).status_code == 200
    assert "homepage" in field_errors(put_profile(client, alice, {"homepage": short + "p"}))


def test_url_field_without_max_length_accepts_up_to_2048(client, alice):
    url = "https://alice.example/" + "w" * (2048 - len("https://alice.example/"))
    assert put_profile(client, alice, {"website": url}).status_code == 200
    assert "website" in field_errors(put_profile(client, alice, {"website": url + "w"}))


def test_custom_field_is_cleared_by_null_and_kept_when_omitted(client, alice):
    put_profile(client, alice, {"motto": "keep", "shoe_size": 40})
    put_profile(client, alice, {"shoe_size": None})
    profile = profile_of(client, alice)
    assert profile["shoe_size"] is None
    assert profile["motto"] == "keep"


def test_undeclared_field_is_refused(client, alice):
    assert "favourite_colour" in field_errors(put_profile(client, alice, {"favourite_colour": "red"}))


def test_export_contains_the_custom_fields(client, alice):
    put_profile(client, alice, {"shoe_size": 41, "newsletter": True, "display_name": "Al"})
    response = client.get("/api/user/export", headers=alice.headers)
    assert response.status_code == 200
    section = response.get_json()["profile"]
    assert section["shoe_size"] == 41
    assert section["newsletter"] is True
    assert section["display_name"] == "Al"


# -------------------------------------------------------------------------------------------------
# required fields
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def required_app(make_profile_app):
    return make_profile_app(fields={"company": {"type": "string", "required": True}})


def test_required_field_can_be_set_and_read(required_app):
    client = required_app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    response = put_profile(client, alice, {"company": "Acme", "display_name": "Alice"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert profile_of(client, alice)["company"] == "Acme"


def test_required_field_cannot_be_cleared(required_app):
    client = required_app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    put_profile(client, alice, {"company": "Acme"})
    assert "company" in field_errors(put_profile(client, alice, {"company": None}))
    assert profile_of(client, alice)["company"] == "Acme"


def test_other_fields_update_while_a_required_field_is_set(required_app):
    client = required_app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    put_profile(client, alice, {"company": "Acme"})
    assert put_profile(client, alice, {"bio": "hi"}).status_code == 200
    profile = profile_of(client, alice)
    assert (profile["company"], profile["bio"]) == ("Acme", "hi")


# -------------------------------------------------------------------------------------------------
# bad declarations stop start-up, naming the field
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("shoe_size", {"type": "float"}),
        ("shoe_size", {"type": "date"}),
        ("shoe_size", {}),
        ("shoe_size", {"type": "integer", "max_length": 3}),
        ("newsletter", {"type": "boolean", "max_length": 3}),
        ("nickname", {"type": "string", "max_length": 0}),
        ("nickname", {"type": "string", "max_length": -5}),
        ("nickname", {"type": "string", "maxlength": 10}),
        ("nickname", {"type": "string", "required": "sometimes"}),
        ("Nick-Name", {"type": "string"}),
        ("1nick", {"type": "string"}),
        ("roles", {"type": "string"}),
        ("username", {"type": "string"}),
        ("email", {"type": "string"}),
        ("password_hash", {"type": "string"}),
        ("display_name", {"type": "string"}),
        ("id", {"type": "integer"}),
    ],
)
def test_bad_declaration_stops_start_up_naming_the_field(make_profile_app, name, spec):
    with pytest.raises(ConfigError) as raised:
        make_profile_app(fields={"fine_field": {"type": "string"}, name: spec})
    assert re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])", str(raised.value)), str(
        raised.value
    )


# -------------------------------------------------------------------------------------------------
# schemaless: declaring a field later needs no migration
# -------------------------------------------------------------------------------------------------


def test_field_declared_later_works_on_the_same_database(make_profile_app):
    first = make_profile_app()
    client = first.test_client(use_cookies=False)
    alice = signup(client, "alice")
    assert put_profile(client, alice, {"display_name": "Alice", "bio": "from v1"}).status_code == 200

    second = make_profile_app(fields=FIELDS)
    client2 = second.test_client(use_cookies=False)
    alice2 = login(client2, "alice")
    profile = profile_of(client2, alice2)
    assert (profile["display_name"], profile["bio"]) == ("Alice", "from v1")
    assert all(profile[name] is None for name in FIELDS)

    values = {"website": "https://alice.example/", "shoe_size": 39, "newsletter": True, "pronouns": "she"}
    response = put_profile(client2, alice2, values)
    assert response.status_code == 200, response.get_data(as_text=True)
    profile = profile_of(client2, alice2)
    assert {name: profile[name] for name in values} == values
    assert profile["display_name"] == "Alice"


def test_field_declared_later_works_in_production_without_migrate(make_profile_app):
    first = make_profile_app()
    client = first.test_client(use_cookies=False)
    signup(client, "alice")

    production = {"site": {"environment": "production"}, "security": {"secret_key": "s" * 48}}
    second = make_profile_app(fields={"shoe_size": {"type": "integer"}}, config=production)
    client2 = second.test_client(use_cookies=False)
    client2.environ_base["wsgi.url_scheme"] = "https"
    alice = login(client2, "alice")
    response = put_profile(client2, alice, {"shoe_size": 44})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert profile_of(client2, alice)["shoe_size"] == 44


def test_two_apps_declaring_different_fields_share_one_database(make_profile_app):
    one = make_profile_app(fields={"motto": {"type": "string"}})
    two = make_profile_app(fields={"motto": {"type": "string"}, "shoe_size": {"type": "integer"}})
    c1, c2 = one.test_client(use_cookies=False), two.test_client(use_cookies=False)
    alice = signup(c1, "alice")
    put_profile(c1, alice, {"motto": "one"})
    alice2 = login(c2, "alice")
    put_profile(c2, alice2, {"shoe_size": 42})
    assert profile_of(c1, alice)["motto"] == "one"
    assert "shoe_size" not in profile_of(c1, alice)
    assert (profile_of(c2, alice2)["motto"], profile_of(c2, alice2)["shoe_size"]) == ("one", 42)


def test_undeclaring_a_field_hides_it_and_refuses_writes(make_profile_app):
    first = make_profile_app(fields={"motto": {"type": "string"}})
    client = first.test_client(use_cookies=False)
    alice = signup(client, "alice")
    put_profile(client, alice, {"motto": "secret plan", "display_name": "Alice"})

    second = make_profile_app()
    client2 = second.test_client(use_cookies=False)
    alice2 = login(client2, "alice")
    profile = profile_of(client2, alice2)
    assert "motto" not in profile
    assert profile["display_name"] == "Alice"
    assert set(BUILTIN_FIELDS) <= set(profile)
    assert "motto" in field_errors(put_profile(client2, alice2, {"motto": "x"}))
