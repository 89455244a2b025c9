"""The built-in ``locale`` field: the language the user reads, a BCP 47 tag (api-v2, "Auth
additions", Mail), told to other plugins through ``core.user_locale``."""

from __future__ import annotations

import pytest

import core
from tests.plugins.profile.conftest import field_errors, profile_of, put_profile, signup, stored_rows


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def test_a_new_profile_has_no_locale(client, alice):
    assert profile_of(client, alice)["locale"] is None


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("de", "de"), ("de-AT", "de-AT"), ("de-at", "de-AT"), ("EN-gb", "en-GB"), ("es-419", "es-419"),
     ("sr-latn-rs", "sr-Latn-RS")],
)  # fmt: skip
def test_a_language_tag_is_kept_in_its_conventional_case(client, alice, sent, kept):
    response = put_profile(client, alice, {"locale": sent}, "PATCH")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["locale"] == kept
    assert profile_of(client, alice)["locale"] == kept


@pytest.mark.parametrize("sent", ["German", "de_DE", "d", "de-", "-de", "de AT", "x" * 36, "", "de-AT\n"])
def test_anything_but_a_language_tag_is_refused_naming_the_field(client, alice, sent):
    fields = field_errors(put_profile(client, alice, {"locale": sent}, "PATCH"))
    assert set(fields) == {"locale"}
    assert profile_of(client, alice)["locale"] is None


@pytest.mark.parametrize("sent", [5, True, ["de"]])
def test_a_locale_is_a_string(client, alice, sent):
    assert set(field_errors(put_profile(client, alice, {"locale": sent}, "PATCH"))) == {"locale"}


def test_null_clears_the_locale_and_other_fields_stay(client, alice):
    put_profile(client, alice, {"locale": "de", "display_name": "Alice"}, "PATCH")
    response = put_profile(client, alice, {"locale": None}, "PATCH")
    assert response.status_code == 200
    assert (response.get_json()["locale"], response.get_json()["display_name"]) == (None, "Alice")


def test_other_plugins_read_it_through_core_user_locale(app, client, alice):
    bob = signup(client, "bob")
    put_profile(client, alice, {"locale": "de-at"}, "PATCH")
    with app.app_context():
        assert core.user_locale(alice.id) == "de-AT"
        assert core.user_locale(bob.id) is None  # no profile row yet
        assert core.user_locale(99999) is None


def test_the_locale_is_stored_exported_and_deleted_with_the_account(app, client, alice):
    put_profile(client, alice, {"locale": "de"}, "PATCH")
    assert [row["locale"] for row in stored_rows(app, "profile_profiles", user_id=alice.id)] == ["de"]
    export = client.get("/api/user/export", headers=alice.headers)
    assert export.status_code == 200
    assert export.get_json()["profile"]["locale"] == "de"


def test_a_site_cannot_declare_a_field_named_locale(make_profile_app):
    with pytest.raises(Exception, match="locale"):
        make_profile_app(fields={"locale": {"type": "string"}})


def test_a_site_may_declare_a_field_of_type_locale(make_profile_app):
    app = make_profile_app(fields={"second_language": {"type": "locale"}})
    client = app.test_client(use_cookies=False)
    user = signup(client, "carol")
    answer = put_profile(client, user, {"second_language": "fr-ca"}, "PATCH").get_json()
    assert answer["second_language"] == "fr-CA"
    assert set(field_errors(put_profile(client, user, {"second_language": "French"}, "PATCH"))) == {
        "second_language"
    }
