"""OTP step-up for destructive actions: issue, verify, resend, as a pure state machine.

A challenge belongs to one pending action and one action digest. The rules:
valid for a few minutes; a limited number of wrong tries, after which the action itself is
cancelled (the customer starts the whole authorisation again); single use; a resend makes a
new code and voids the old one, and resends are throttled. Persistence (and the race between
two requests presenting the same code) is the store's job: it applies each transition only if
the challenge is still in the state this module saw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable, Tuple

from actions.domain.otp import code_hash, code_matches, new_code, normalise_code
from actions.domain.policy import OtpRules


class ChallengeStatus(str, Enum):
    ACTIVE = "active"
    USED = "used"
    LOCKED = "locked"
    SUPERSEDED = "superseded"
    VOID = "void"


@dataclass(frozen=True)
class OtpChallenge:
    id: str
    pending_id: str
    action_digest: str
    code_hash: str
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0
    send_number: int = 1
    status: ChallengeStatus = ChallengeStatus.ACTIVE


class Verdict(str, Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # this wrong try was the last one allowed
    EXPIRED = "expired"
    NOT_ACTIVE = "not_active"  # already used, superseded or void
    ACTION_CHANGED = "action_changed"


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    challenge: OtpChallenge  # the challenge as it should be stored after this attempt
    tries_left: int


class StepUp:
    def __init__(
        self,
        rules: OtpRules,
        pepper: bytes,
        make_id: Callable[[], str],
        make_code: Callable[[], str] = new_code,
    ) -> None:
        if len(pepper) < 16:
            raise ValueError("the OTP pepper must be at least 16 bytes (set OTP_PEPPER)")
        self.rules = rules
        self._pepper = pepper
        self._make_id = make_id
        self._make_code = make_code

    def with_rules(self, rules: OtpRules) -> "StepUp":
        """The same codes, keys and ids under other rules (a manager's approval code by phone)."""
        return StepUp(rules, self._pepper, self._make_id, self._make_code)

    def matches(self, challenge: OtpChallenge, code: str) -> bool:
        """Whether ``code`` is this challenge's, whatever its state: to tell "already used" from "wrong"."""
        return bool(normalise_code(code)) and code_matches(self._pepper, challenge.id, challenge.action_digest, code,
                                                           challenge.code_hash)

    def issue(self, pending_id: str, action_digest: str, now: datetime, send_number: int = 1) -> Tuple[OtpChallenge, str]:
        """A new challenge and its code; the code goes to the customer and is never stored."""
        challenge_id = self._make_id()
        code = self._make_code()
        challenge = OtpChallenge(
            id=challenge_id,
            pending_id=pending_id,
            action_digest=action_digest,
            code_hash=code_hash(self._pepper, challenge_id, action_digest, code),
            issued_at=now,
            expires_at=now + self.rules.valid_for,
            send_number=send_number,
        )
        return challenge, code

    def verify(self, challenge: OtpChallenge, code: str, action_digest: str, now: datetime) -> Verification:
        if challenge.status is not ChallengeStatus.ACTIVE:
            return Verification(Verdict.NOT_ACTIVE, challenge, 0)
        if action_digest != challenge.action_digest:
            return Verification(Verdict.ACTION_CHANGED, replace(challenge, status=ChallengeStatus.VOID), 0)
        if now >= challenge.expires_at:
            return Verification(Verdict.EXPIRED, challenge, self._tries_left(challenge))
        if len(normalise_code(code)) == 0:
            return Verification(Verdict.WRONG, challenge, self._tries_left(challenge))
        if code_matches(self._pepper, challenge.id, action_digest, code, challenge.code_hash):
            return Verification(Verdict.ACCEPTED, replace(challenge, status=ChallengeStatus.USED), self._tries_left(challenge))
        failed = replace(challenge, attempts=challenge.attempts + 1)
        if failed.attempts >= self.rules.max_attempts:
            return Verification(Verdict.LOCKED, replace(failed, status=ChallengeStatus.LOCKED), 0)
        return Verification(Verdict.WRONG, failed, self._tries_left(failed))

    def resend_wait_seconds(self, challenge: OtpChallenge, now: datetime) -> int:
        """0 if a new code may be sent now, else how long to wait; -1 if no more sends are allowed."""
        if challenge.send_number >= self.rules.max_sends:
            return -1
        ready_at = challenge.issued_at + timedelta(seconds=self.rules.resend_cooldown_seconds)
        return max(0, int((ready_at - now).total_seconds() + 0.999))

    def _tries_left(self, challenge: OtpChallenge) -> int:
        return max(0, self.rules.max_attempts - challenge.attempts)
