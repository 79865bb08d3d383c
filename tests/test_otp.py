"""One-time codes: the published RFC vectors, how codes are stored, and the step-up rules.

The step-up state machine is driven with a fixed code and explicit times, so every expiry
and cooldown is checked at its exact boundary without waiting.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import List

import pytest

from actions.domain import otp
from actions.domain.otp import (
    code_hash,
    code_matches,
    hotp,
    new_code,
    normalise_code,
    totp,
)
from actions.domain.policy import OtpRules
from actions.domain.step_up import ChallengeStatus, OtpChallenge, StepUp, Verdict

ISSUED = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
RULES = OtpRules(valid_for=timedelta(minutes=5), max_attempts=3, resend_cooldown_seconds=30, max_sends=3)
PEPPER = b"a-pepper-of-32-bytes-for-testing"
CODE = "493817"
DIGEST = "digest-of-cancel-S002"


def b32(ascii_secret: str) -> str:
    return base64.b32encode(ascii_secret.encode("ascii")).decode("ascii")


# -- RFC 4226 Appendix D -------------------------------------------------------------------

RFC4226_SECRET = "12345678901234567890"
RFC4226_CODES = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226_CODES)))
def test_hotp_matches_rfc_4226_appendix_d(counter: int, expected: str) -> None:
    assert hotp(b32(RFC4226_SECRET), counter) == expected


# -- RFC 6238 Appendix B -------------------------------------------------------------------

RFC6238_SEEDS = {
    "sha1": "12345678901234567890",
    "sha256": "12345678901234567890123456789012",
    "sha512": "1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238_CODES = {
    59: {"sha1": "94287082", "sha256": "46119246", "sha512": "90693936"},
    1111111109: {"sha1": "07081804", "sha256": "68084774", "sha512": "25091201"},
    1111111111: {"sha1": "14050471", "sha256": "67062674", "sha512": "99943326"},
    1234567890: {"sha1": "89005924", "sha256": "91819424", "sha512": "93441116"},
    2000000000: {"sha1": "69279037", "sha256": "90698825", "sha512": "38618901"},
    20000000000: {"sha1": "65353130", "sha256": "77737706", "sha512": "47863826"},
}


@pytest.mark.parametrize(
    ("unix_time", "digest", "expected"),
    [(t, digest, code) for t, codes in RFC6238_CODES.items() for digest, code in codes.items()],
)
def test_totp_matches_rfc_6238_appendix_b(unix_time: int, digest: str, expected: str) -> None:
    at = datetime.fromtimestamp(unix_time, tz=timezone.utc)
    assert totp(b32(RFC6238_SEEDS[digest]), at, digits=8, digest=digest) == expected


def test_an_unknown_digest_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unsupported OTP digest 'md5'"):
        hotp(b32(RFC4226_SECRET), 0, digest="md5")


def test_a_fresh_code_is_six_digits_from_a_secret_nobody_keeps() -> None:
    secrets = iter(["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"])
    first, second = new_code(lambda: next(secrets)), new_code(lambda: next(secrets))
    assert len(first) == 6 and first.isdigit()
    assert first == hotp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 0)
    assert first != second


# -- what is stored: a keyed hash bound to the challenge and the action ---------------------


def test_the_stored_hash_binds_the_code_to_one_challenge_and_one_action() -> None:
    stored = code_hash(PEPPER, "ch1", DIGEST, CODE)
    assert CODE not in stored
    assert code_hash(PEPPER, "ch1", DIGEST, CODE) == stored  # deterministic
    assert code_hash(PEPPER, "ch2", DIGEST, CODE) != stored  # another challenge
    assert code_hash(PEPPER, "ch1", "digest-of-close-account", CODE) != stored  # another action
    assert code_hash(PEPPER, "ch1", DIGEST, "493818") != stored  # another code
    assert code_hash(b"another-pepper-of-32-bytes-long!", "ch1", DIGEST, CODE) != stored  # another server key


@pytest.mark.parametrize("typed", ["493817", "493 817", "493-817", " 493817 ", "code: 493817"])
def test_codes_are_normalised_the_way_customers_type_them(typed: str) -> None:
    assert normalise_code(typed) == "493817"
    assert code_matches(PEPPER, "ch1", DIGEST, typed, code_hash(PEPPER, "ch1", DIGEST, CODE))


def test_checking_a_code_uses_a_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: List[tuple] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(otp.hmac, "compare_digest", spy)
    stored = code_hash(PEPPER, "ch1", DIGEST, CODE)
    assert code_matches(PEPPER, "ch1", DIGEST, CODE, stored) is True
    assert code_matches(PEPPER, "ch1", DIGEST, "000000", stored) is False
    assert len(calls) == 2 and all(b == stored for _, b in calls)


# -- the step-up rules ---------------------------------------------------------------------


@pytest.fixture
def step_up() -> StepUp:
    ids = count(1)
    return StepUp(RULES, PEPPER, make_id=lambda: f"ch{next(ids)}", make_code=lambda: CODE)


@pytest.fixture
def challenge(step_up: StepUp) -> OtpChallenge:
    issued, code = step_up.issue("pending-1", DIGEST, ISSUED)
    assert code == CODE
    return issued


def after(**delta: float) -> datetime:
    return ISSUED + timedelta(**delta)


def test_a_challenge_keeps_only_a_hash_and_expires_after_the_configured_minutes(challenge: OtpChallenge) -> None:
    assert challenge.id == "ch1"
    assert challenge.code_hash == code_hash(PEPPER, "ch1", DIGEST, CODE)
    assert CODE not in repr(challenge)
    assert challenge.expires_at == ISSUED + timedelta(minutes=5)
    assert (challenge.status, challenge.attempts, challenge.send_number) == (ChallengeStatus.ACTIVE, 0, 1)


def test_the_right_code_is_accepted_and_uses_up_the_challenge(step_up: StepUp, challenge: OtpChallenge) -> None:
    check = step_up.verify(challenge, "493 817", DIGEST, after(minutes=1))
    assert check.verdict is Verdict.ACCEPTED
    assert check.challenge.status is ChallengeStatus.USED


def test_a_wrong_code_says_how_many_tries_are_left(step_up: StepUp, challenge: OtpChallenge) -> None:
    first = step_up.verify(challenge, "111111", DIGEST, after(seconds=20))
    assert (first.verdict, first.tries_left, first.challenge.attempts) == (Verdict.WRONG, 2, 1)
    second = step_up.verify(first.challenge, "222222", DIGEST, after(seconds=40))
    assert (second.verdict, second.tries_left, second.challenge.attempts) == (Verdict.WRONG, 1, 2)
    assert second.challenge.status is ChallengeStatus.ACTIVE


def test_an_empty_answer_is_wrong_but_costs_no_try(step_up: StepUp, challenge: OtpChallenge) -> None:
    check = step_up.verify(challenge, "no idea", DIGEST, after(seconds=20))
    assert (check.verdict, check.tries_left, check.challenge.attempts) == (Verdict.WRONG, 3, 0)


def test_the_third_wrong_code_locks_the_challenge_even_against_the_right_code(step_up: StepUp, challenge: OtpChallenge) -> None:
    current = challenge
    verdicts = []
    for guess in ("111111", "222222", "333333"):
        check = step_up.verify(current, guess, DIGEST, after(minutes=1))
        verdicts.append(check.verdict)
        current = check.challenge
    assert verdicts == [Verdict.WRONG, Verdict.WRONG, Verdict.LOCKED]
    assert (current.status, current.attempts) == (ChallengeStatus.LOCKED, 3)
    assert step_up.verify(current, CODE, DIGEST, after(minutes=2)).verdict is Verdict.NOT_ACTIVE


def test_a_code_expires_at_exactly_the_configured_minutes(step_up: StepUp, challenge: OtpChallenge) -> None:
    just_in_time = step_up.verify(challenge, CODE, DIGEST, after(minutes=5, microseconds=-1))
    assert just_in_time.verdict is Verdict.ACCEPTED
    on_the_dot = step_up.verify(challenge, CODE, DIGEST, after(minutes=5))
    assert on_the_dot.verdict is Verdict.EXPIRED
    assert on_the_dot.challenge == challenge  # an expired try is not counted against the customer


def test_a_code_works_only_once(step_up: StepUp, challenge: OtpChallenge) -> None:
    used = step_up.verify(challenge, CODE, DIGEST, after(minutes=1)).challenge
    replay = step_up.verify(used, CODE, DIGEST, after(minutes=1, seconds=5))
    assert (replay.verdict, replay.tries_left) == (Verdict.NOT_ACTIVE, 0)
    assert replay.challenge == used


@pytest.mark.parametrize("status", [ChallengeStatus.SUPERSEDED, ChallengeStatus.VOID])
def test_a_replaced_or_voided_code_is_not_active(step_up: StepUp, challenge: OtpChallenge, status: ChallengeStatus) -> None:
    check = step_up.verify(replace(challenge, status=status), CODE, DIGEST, after(minutes=1))
    assert check.verdict is Verdict.NOT_ACTIVE


def test_a_code_for_one_action_cannot_approve_a_changed_action(step_up: StepUp, challenge: OtpChallenge) -> None:
    check = step_up.verify(challenge, CODE, "digest-of-close-account", after(minutes=1))
    assert check.verdict is Verdict.ACTION_CHANGED
    assert check.challenge.status is ChallengeStatus.VOID
    assert check.tries_left == 0


def test_a_new_code_may_be_sent_only_after_the_cooldown(step_up: StepUp, challenge: OtpChallenge) -> None:
    assert step_up.resend_wait_seconds(challenge, ISSUED) == 30
    assert step_up.resend_wait_seconds(challenge, after(seconds=10)) == 20
    assert step_up.resend_wait_seconds(challenge, after(seconds=29, milliseconds=500)) == 1
    assert step_up.resend_wait_seconds(challenge, after(seconds=30)) == 0
    assert step_up.resend_wait_seconds(challenge, after(minutes=7)) == 0


def test_no_more_codes_are_sent_after_the_maximum(step_up: StepUp) -> None:
    second, _ = step_up.issue("pending-1", DIGEST, after(seconds=30), send_number=2)
    third, _ = step_up.issue("pending-1", DIGEST, after(seconds=60), send_number=3)
    assert step_up.resend_wait_seconds(second, after(seconds=60)) == 0
    assert step_up.resend_wait_seconds(third, after(minutes=10)) == -1


def test_every_send_is_a_new_challenge_with_its_own_hash(step_up: StepUp, challenge: OtpChallenge) -> None:
    resent, _ = step_up.issue("pending-1", DIGEST, after(seconds=30), send_number=2)
    assert resent.id != challenge.id
    assert resent.code_hash != challenge.code_hash  # same code text, different challenge: no reuse
    assert resent.expires_at == after(minutes=5, seconds=30)


@pytest.mark.parametrize("pepper", [b"", b"short", b"x" * 15])
def test_a_short_pepper_is_refused_with_the_setting_to_fix(pepper: bytes) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes.*OTP_PEPPER"):
        StepUp(RULES, pepper, make_id=lambda: "ch1")


def test_a_sixteen_byte_pepper_is_enough() -> None:
    StepUp(RULES, b"x" * 16, make_id=lambda: "ch1")
