"""Approving from a phone: the code a person on duty is texted for one request, the notice that
carries it, and how their reply is read.

A code is a step-up challenge (``actions.domain.step_up``: keyed hash, expiry, limited wrong
tries, single use) bound to the request and the person: the same six digits from anyone else,
or for another request, match nothing. It lives no longer than the request can be decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Optional, Tuple

from actions.domain.approval import Approval
from actions.domain.money import format_cents
from actions.domain.policy import ApprovalRules, OtpRules, PhoneApprovalRules, describe_duration
from actions.domain.staff_words import CaseContext, clip, why_in_words
from actions.domain.step_up import ChallengeStatus, OtpChallenge, StepUp

ACTIVE, USED, VOID, THROTTLED = "active", "used", "void", "throttled"
APPROVE, REJECT = "approve", "reject"
#: "APPROVE 123456", "reject 123 456 not eligible": the code is six digits (a space or dash in the middle).
_REPLY = re.compile(r"^\s*(approve|reject)\b\s*(\d{3}[ -]\d{3}(?!\d)|\d+)?\s*(.*?)\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class PhoneCode:
    """A row of ``approval_phone_codes``: one request, one person."""

    id: str
    approval_id: str
    username: str
    code_hash: str
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0
    status: str = ACTIVE
    reason_asked_at: Optional[datetime] = None

    @property
    def challenge(self) -> OtpChallenge:
        """The code as the step-up rules check it."""
        status = ChallengeStatus.ACTIVE if self.status == ACTIVE else ChallengeStatus.USED \
            if self.status == USED else ChallengeStatus.VOID
        return OtpChallenge(self.id, self.approval_id, code_digest(self.approval_id, self.username), self.code_hash,
                            self.issued_at, self.expires_at, self.attempts, status=status)

    def after(self, challenge: OtpChallenge) -> "PhoneCode":
        """This code once a check moved its challenge on (a locked code is void)."""
        status = {ChallengeStatus.ACTIVE: ACTIVE, ChallengeStatus.USED: USED}.get(challenge.status, VOID)
        return replace(self, attempts=challenge.attempts, status=status)

    def waiting_for_reason(self, now: datetime, within: timedelta) -> bool:
        return self.status == ACTIVE and self.reason_asked_at is not None and now < self.reason_asked_at + within


def code_digest(approval_id: str, username: str) -> str:
    """What a code is bound to: this request, decided by this person."""
    return f"approval-by-phone\x1f{approval_id}\x1f{username}"


def code_rules(rules: PhoneApprovalRules) -> OtpRules:
    """The step-up rules of approval codes: never resent (one notice per request and person)."""
    return OtpRules(valid_for=rules.code_valid_for, max_attempts=rules.max_attempts, resend_cooldown_seconds=0,
                    max_sends=1)


def issue(step_up: StepUp, approval: Approval, username: str, rules: ApprovalRules,
          now: datetime) -> Tuple[PhoneCode, str]:
    """A new code for ``username`` to decide ``approval``, and the code to text them (never stored)."""
    challenge, code = step_up.issue(approval.id, code_digest(approval.id, username), now)
    until = min(challenge.expires_at, approval.requested_at + rules.decide_within)
    return PhoneCode(challenge.id, approval.id, username, challenge.code_hash, now, until), code


def throttled(approval_id: str, username: str, make_id: str, now: datetime) -> PhoneCode:
    """The record that ``username`` was not texted about this request (over their hourly limit)."""
    return PhoneCode(make_id, approval_id, username, "", now, now, status=THROTTLED)


@dataclass(frozen=True)
class Reply:
    """What a person texted: APPROVE or REJECT with a code (and a reason), or anything else (``verb`` None)."""

    verb: Optional[str]
    code: str = ""
    reason: str = ""
    text: str = ""


def read_reply(text: str) -> Reply:
    found = _REPLY.match(text or "")
    if found is None:
        return Reply(None, text=(text or "").strip())
    return Reply(found.group(1).lower(), found.group(2) or "", found.group(3) or "", (text or "").strip())


def for_staff(headline: str) -> str:
    """A proposal as the customer read it ("Refund $700.00 to your Visa ..."), as staff read it."""
    return re.sub(r"\byour\b", "the customer's", headline)


def notice_text(approval: Approval, headline: str, code: str, rules: ApprovalRules, customer: str = "") -> str:
    """The text a person on duty gets: reference, amount, whose and what, why them, and how to answer."""
    amount = f", {format_cents(approval.amount_cents)}" if approval.amount_cents is not None else ""
    headline = f"{customer}: {for_staff(headline)}" if customer else for_staff(headline)
    why = "; ".join(why_in_words(approval.reasons, CaseContext())) or "it needs a person's sign-off"
    two = " Two managers must approve." if approval.amount_cents is not None and \
        approval.amount_cents > rules.top_limit_cents else ""
    return (f"Acme approval {approval.ref}{amount}: {clip(headline, 120)}. Why you: {why}.{two} "
            f"Reply APPROVE {code} or REJECT {code} <reason> (valid {describe_duration(rules.phone.code_valid_for)}).")


HELP = "To decide a request texted to you, reply APPROVE <code> or REJECT <code> <reason>."
#: The answer to START (or YES): texts are on again, notices only once they go on duty again.
STARTED = f"To get approval notices again, go on duty in the inbox (My phone). {HELP}"
#: A person texted STOP: what the audit log says, and why nothing is texted back.
STOPPED = "approval_phone_stopped"


def usable_reason(text: str) -> bool:
    """Whether a text can be a rejection's reason, which the customer is told: a few words. A
    carrier's keyword (STOP, HELP, START) is one word, and so is a stray "ok" or "no"."""
    return len(text.split()) >= 2


def reason_words(ref: str) -> str:
    """Asking for the reason again, after a text too short to be one."""
    return (f"Give the reason for rejecting request {ref} in a few words (the customer is told it), "
            "or decide it in the inbox.")


def decided_words(approval: Approval) -> str:
    """'already approved by maria', for a code that came too late."""
    who = f" by {approval.decided_by}" if approval.decided_by and approval.decided_by != "timer" else ""
    return f"Request {approval.ref} is already {approval.status}{who}: nothing was changed."
