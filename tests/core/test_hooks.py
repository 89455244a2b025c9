"""The hook contract: every hook documented and implementable by a plugin outside plugins/."""

from __future__ import annotations

import inspect
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from core import Identity, hookspecs, permission_allowed
from tests.testplugins import allhooks

ARCHITECTURE = Path(__file__).resolve().parents[3] / "shared" / "spec" / "architecture.md"
HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if inspect.isfunction(value) and hasattr(value, "annex_spec")
)


def test_every_hook_of_the_architecture_table_exists():
    table = {
        "register_routes", "register_migrations", "register_commands", "startup", "identify_request",
        "verify_password", "permission_allowed", "extra_token_claims", "user_created", "user_deleted",
        "user_export", "send_email",
    }  # fmt: skip
    if ARCHITECTURE.is_file():
        table |= set(re.findall(r"^\| `(\w+)\(", ARCHITECTURE.read_text(), re.MULTILINE))
    assert table <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_documents_arguments_return_and_an_example(name):
    function = getattr(hookspecs, name)
    doc = inspect.getdoc(function) or ""
    for parameter in inspect.signature(function).parameters:
        assert f":param {parameter}:" in doc, f"{name} does not document {parameter}"
    assert ":return:" in doc
    assert "Example::" in doc
    if function.annex_spec.get("firstresult"):
        assert "Stops at first non-None result" in doc


@pytest.fixture
def hooked_app(make_app):
    allhooks.calls.clear()
    return make_app(plugins=[allhooks])


def test_start_up_hooks_are_called_in_order(hooked_app):
    calls = allhooks.calls
    assert calls.index("register_settings") < calls.index("register_routes") < calls.index("startup")
    assert calls.index("register_migrations") < calls.index("migration_up") < calls.index("startup")
    assert "register_commands" in calls
    assert hooked_app.test_client().get("/api/allhooks").json == {"ok": True}
    assert "allhooks ran" in hooked_app.test_cli_runner().invoke(args=["allhooks"]).output


def test_request_and_life_cycle_hooks_reach_an_outside_plugin(hooked_app):
    pm = hooked_app.extensions["annex"].pm
    identity = Identity(id=7, username="seven")
    with hooked_app.test_request_context("/", headers={"X-All-Hooks": "1"}):
        from flask import request

        from core import current_identity

        assert current_identity().username == "seven"
        assert pm.hook.identify_request(request=request).id == 7
        assert permission_allowed(identity, "read", "secret/x") is False
    assert pm.hook.verify_password(user_id=7, password="right") is True
    assert pm.hook.verify_password(user_id=8, password="right") is None
    assert pm.hook.extra_token_claims(identity=identity) == [{"plan": "gold"}]
    pm.hook.user_created(user={"id": 7})
    pm.hook.user_deleted(user_id=7)
    assert (pm.hook.hold_account(user_id=7), pm.hook.hold_account(user_id=8)) == (True, False)
    assert pm.hook.user_export(user_id=7) == [{"allhooks": {"user": 7}}]
    assert (pm.hook.user_locale(user_id=7), pm.hook.user_locale(user_id=8)) == ("de-AT", None)
    assert pm.hook.send_email(message=EmailMessage()) is True
    [findings] = pm.hook.deploy_check(app=hooked_app)
    assert [(f.level, f.setting) for f in findings] == [("warning", "plugins.allhooks.mode")]
    assert pm.hook.testkit_settings(folder=Path("/tmp/kit")) == [{"spool": "/tmp/kit"}]
    user = pm.hook.testkit_user(client=None, username="seven", email="s@example.com", password="pw")
    assert user == {"id": 7, "access_token": "token-of-seven"}
    with hooked_app.test_request_context("/"):
        assert pm.hook.start_session(user_id=7, methods=["hwk"], multi_factor=True).json["user"] == 7
    assert pm.hook.find_account(email="seven@example.com")["id"] == 7
    made = pm.hook.create_account(
        email="e@x.org", method="test", username=None, email_verified=False, invite=None
    )
    assert made["id"] == 8
    assert pm.hook.second_factors(user_id=7) == [["sms"]]
    assert pm.hook.verify_factor(user_id=7, factor="sms", proof={"code": "777777"}) == "sms"
    assert pm.hook.mfa_challenge_user(mfa_token="challenge-of-seven") == 7
    assert pm.hook.check_recent_auth(identity=identity, proof={}) is True
    assert pm.hook.sign_in_methods(user_id=7) == [["sms"]]
    pm.hook.account_event(user_id=7, event="passkey_added", details={})
    assert pm.hook.end_sessions(user_id=7, keep=None) == 2
    for name in HOOKS:
        assert any(call.split(":")[0] == name for call in allhooks.calls), f"hook {name} was never called"


def test_sign_in_hooks_reach_an_outside_plugin_through_core(hooked_app):
    import core

    with hooked_app.test_request_context("/", headers={"X-All-Hooks": "1"}):
        assert core.sign_in(7, ["hwk"]).json == {"user": 7, "amr": ["hwk"]}
        assert core.find_account("seven@example.com")["id"] == 7
        assert core.find_account("nobody@example.com") is None
        assert core.create_account("e@example.com", method="test")["id"] == 8
        assert core.second_factors(7) == ["sms"] and core.second_factors(8) == []
        assert core.verify_factor(7, "sms", {"code": "777777"}) == "sms"
        assert core.verify_factor(7, "sms", {"code": "000000"}) is None
        assert core.verify_factor(7, "voice", {"code": "777777"}) is None
        assert core.mfa_user("challenge-of-seven") == 7 and core.mfa_user("other") is None
        assert core.require_recent_auth().id == 7
        assert core.sign_in_methods(7) == ["sms"]
        with pytest.raises(core.ApiError) as refused:
            core.ensure_not_last_method(7, "sms")
        assert (refused.value.status, refused.value.code) == (409, "last_sign_in_method")
        core.account_event(7, "mfa_enabled", factor="sms")
        assert "account_event:mfa_enabled" in allhooks.calls
        assert core.end_sessions(7) == 2
        assert (core.user_locale(7), core.user_locale(8)) == ("de-AT", None)


class Grants:
    name = "grants"

    @staticmethod
    @__import__("core").hookimpl
    def permission_allowed(identity, action, resource):
        return True


def test_permission_answers_combine_any_false_denies_else_any_true_allows(make_app):
    allhooks.calls.clear()
    app = make_app(plugins=[allhooks, Grants()])
    with app.test_request_context("/"):
        assert permission_allowed(None, "read", "secret/x") is False
        assert permission_allowed(None, "read", "open/x") is True
        assert permission_allowed(None, "read", "other/x") is True  # Grants says yes
    app = make_app(plugins=[allhooks])
    with app.test_request_context("/"):
        assert permission_allowed(None, "read", "other/x") is None
