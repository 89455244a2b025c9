"""Authenticator codes as sign-in checks them: RFC 6238 with one step either side, each step
used once (replay refused, even within its window), settled by the database under concurrency."""

from __future__ import annotations

import time

from tests.plugins.totp.conftest import (
    assert_error,
    code_at,
    fresh_step,
    mfa,
    mfa_token,
    register,
    run_parallel,
)


def mfa_with(client, code, factor="totp"):
    return mfa(client, mfa_token(client), factor, code)


def test_two_steps_away_is_refused_and_one_step_either_side_accepted(client):
    alice = register(client)
    alice.setup()
    fresh_step()
    assert_error(alice.confirm(alice.code(-2)), 401, "invalid_code")
    assert_error(alice.confirm(alice.code(2)), 401, "invalid_code")
    assert alice.confirm(alice.code(-1)).status_code == 200  # the previous step
    assert mfa_with(client, alice.code(0)).status_code == 200  # the current step
    assert mfa_with(client, alice.code(1)).status_code == 200  # the next step
    assert_error(mfa_with(client, alice.code(2)), 401, "invalid_code")


def test_a_code_that_succeeded_is_refused_again_within_its_window(client):
    alice = register(client)
    alice.enrol()  # confirmed with the previous step's code
    code = alice.code(0)
    assert mfa_with(client, code).status_code == 200
    assert_error(mfa_with(client, code), 401, "invalid_code")
    # The confirm's own code, and any step before the last used, stay spent too.
    assert_error(mfa_with(client, alice.code(-1)), 401, "invalid_code")


def test_the_code_used_at_confirm_does_not_sign_in(client):
    alice = register(client)
    alice.setup()
    fresh_step()
    code = alice.code(0)
    assert alice.confirm(code).status_code == 200
    assert_error(mfa_with(client, code), 401, "invalid_code")
    assert mfa_with(client, alice.code(1)).status_code == 200


def test_a_code_typed_with_a_space_counts(client):
    alice = register(client)
    alice.enrol()
    code = alice.code(0)
    assert mfa_with(client, f"{code[:3]} {code[3:]}").status_code == 200


def test_codes_of_another_secret_or_of_nonsense_are_refused(client):
    alice = register(client)
    bob = register(client, "bob")
    alice.enrol()
    bob.enrol()
    fresh_step()
    if bob.code(0) not in {alice.code(offset) for offset in (-1, 0, 1)}:  # one in ~300,000 would
        assert_error(mfa_with(client, bob.code(0)), 401, "invalid_code")
    for nonsense in ("", "12345", "1234567", "abcdef", "12345a"):
        assert_error(mfa_with(client, nonsense), 401, "invalid_code")
    assert mfa_with(client, alice.code(0)).status_code == 200


def test_one_code_sent_at_once_in_several_sign_ins_lets_exactly_one_in(app, client):
    alice = register(client)
    alice.enrol()
    tokens = [mfa_token(client) for _ in range(4)]
    code = alice.code(0)

    def attempt(i: int) -> int:
        return mfa(app.test_client(use_cookies=False), tokens[i], "totp", code).status_code

    results = run_parallel(4, attempt)
    assert sorted(results) == [200, 401, 401, 401], results


def test_one_code_checked_at_once_through_core_passes_once(app, client):
    """``core.verify_factor`` from several threads (as any plugin would call it): one ``otp``."""
    from core import verify_factor

    alice = register(client)
    alice.enrol()
    code = alice.code(1)

    def attempt(i: int):
        with app.app_context():
            return verify_factor(alice.id, "totp", {"code": code})

    results = run_parallel(6, attempt)
    assert results.count("otp") == 1 and results.count(None) == 5, results


def test_time_moves_the_window(client):
    """A code of a step that has passed out of the window is refused (the clock, not a mock)."""
    alice = register(client)
    alice.enrol()
    old = code_at(alice.secret, time.time() - 2 * 30 - 1)
    assert_error(mfa_with(client, old), 401, "invalid_code")
