"""The customer's side of propose -> commit: confirmations, one-time codes, and the commit itself.

Nothing here executes before the required sign-off, and a commit is a compare-and-set on the
pending action (one worker wins; the rest report what happened), followed by a final check
that the action is still exactly what was signed and has not expired.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Callable, List, Mapping, Optional

from actions.domain.approval import new_approval
from actions.domain.outbound import SMS, CodeText, UndeliveredCode
from actions.domain.pending import (
    AWAITING_CUSTOMER,
    SIGNABLE,
    SIGNED_BY_PEOPLE,
    PendingAction,
    Stage,
    action_digest,
)
from actions.domain.policy import describe_duration
from actions.domain.replies import Reply, ReplyKind
from actions.domain.services import Services
from actions.domain.step_up import ChallengeStatus, Verdict


def confirm_prompt(pending: PendingAction) -> str:
    return f"{pending.summary} Reply YES to confirm or NO to cancel."


def approval_prompt(pending: PendingAction, why: str, approvers: str) -> str:
    """``approvers``: who will decide, in words (``ApprovalRules.approvers_in_words``)."""
    return (
        f"{pending.summary} This needs approval from {approvers} ({why}). "
        "Reply YES to send it for approval, or NO to cancel."
    )


def otp_prompt(pending: PendingAction, phone: str, valid_for: str) -> str:
    return (
        f"{pending.summary} To make sure it's you, I've sent a 6-digit code to your phone ending {phone[-4:]}. "
        f"Reply with the code to confirm (it's valid for {valid_for}), or NO to cancel."
    )


class OutcomeUnknown(Exception):
    """Raised after an execution whose result is unknown has been parked for a person."""

    def __init__(self, pending: PendingAction, detail: str) -> None:
        super().__init__(detail)
        self.pending = pending
        self.detail = detail


class SignOff:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- answers while an action waits for the customer --------------------------------------

    def answer(self, pending: PendingAction, reply: Reply, phone: str,
               evidence: Callable[[], Mapping[str, Any]] = dict) -> List[str]:
        """Handle the customer's answer; ``evidence`` builds the approver's evidence pack if one is needed."""
        if reply.kind is ReplyKind.NO:
            return self.cancel(pending, "declined", "No problem, I've cancelled that. Nothing was changed.")
        if pending.stage is Stage.CONFIRM and reply.kind is ReplyKind.YES:
            self.s.record("confirmed", pending.conversation_id, actor="customer", pending=pending)
            if pending.outcome == "approval":
                return self.send_for_approval(pending, evidence())
            return self.commit(pending.id, pending.digest, actor="customer")
        if pending.stage is Stage.OTP and reply.kind is ReplyKind.CODE and reply.code:
            return self._verify(pending, reply.code)
        if pending.stage is Stage.OTP and reply.kind is ReplyKind.RESEND:
            return self.resend(pending, phone)
        if pending.stage is Stage.OTP and reply.kind is ReplyKind.YES:
            return [f"Please reply with the 6-digit code we sent to your phone ending {phone[-4:]}, or NO to cancel."]
        return self._unclear(pending, phone)

    def reminder(self, pending: PendingAction) -> str:
        if pending.stage is Stage.OTP:
            return f"I'm still waiting for the code to confirm: {pending.headline}. Reply with the code, or NO to cancel."
        return f"I'm still waiting for your answer on: {pending.headline}. Reply YES to confirm or NO to cancel."

    def send_for_approval(self, pending: PendingAction, evidence: Mapping[str, Any]) -> List[str]:
        """The customer asked for it; now a manager must sign it off before anything runs."""
        if not self.s.pendings.move(pending.id, (Stage.CONFIRM,), Stage.APPROVAL):
            return ["That request is no longer open, so nothing was sent."]
        approval = new_approval(self.s.policy.approvals, pending, id=self.s.make_id(), at=self.s.clock.now(),
                                evidence=evidence)
        self.s.approvals.add(approval)
        self.s.record("approval_requested", pending.conversation_id, pending=pending, approval_id=approval.id)
        return [
            f"I've sent it to {self.s.policy.approvals.approvers_in_words(pending.request.kind, pending.amount_cents)} "
            f"for approval, reference {approval.id[:8].upper()}. Nothing has been refunded or changed yet; "
            "you'll get a message here as soon as it's decided, usually within one working day."
        ]

    def cancel(self, pending: PendingAction, event: str, message: str, actor: str = "customer") -> List[str]:
        if self.s.pendings.move(pending.id, AWAITING_CUSTOMER, Stage.CANCELLED):
            self._void_code(pending)
            self.s.record(event, pending.conversation_id, actor=actor, pending=pending)
        return [message]

    def customer_stopped(self, conversation_id: str) -> None:
        """The customer texted STOP (a carrier's word: "cancel" is one): a confirmation or a code
        waiting for their answer is cancelled, since nothing can reach them now to ask again, and
        "cancel" as an answer to "YES or NO" means no."""
        pending = self.s.pendings.awaiting_customer(conversation_id)
        if pending is not None:
            self.cancel(pending, "cancelled_customer_stopped", "")

    def _unclear(self, pending: PendingAction, phone: str) -> List[str]:
        count = self.s.pendings.add_unclear_reply(pending.id)
        self.s.record("unclear_reply", pending.conversation_id, actor="customer", pending=pending, count=count)
        if count > self.s.policy.max_unclear_replies:
            return self.cancel(
                pending, "cancelled_unclear",
                "I couldn't get a clear answer, so I've cancelled that request and nothing was changed. "
                "Just ask again whenever you're ready.",
                actor="bot",
            )
        if pending.stage is Stage.OTP:
            return [f"Sorry, I didn't catch that. Reply with the 6-digit code we sent to your phone ending {phone[-4:]}, RESEND for a new code, or NO to cancel."]
        return [f"Sorry, I need a clear yes or no. {confirm_prompt(pending)}"]

    # -- one-time codes ---------------------------------------------------------------------

    def send_code(self, pending: PendingAction, phone: str, send_number: int = 1, attempts: int = 0) -> None:
        """Issue a code and queue its text to the phone on file (``actions.domain.outbound``)."""
        now = self.s.clock.now()
        challenge, code = self.s.step_up.issue(pending.id, pending.digest, now, send_number)
        # a code never outlives the request it confirms, and a resend does not reset the wrong tries
        challenge = replace(challenge, expires_at=min(challenge.expires_at, pending.expires_at), attempts=attempts)
        self.s.challenges.add(challenge)
        body = (
            f"Acme security code: {code}. It confirms: {pending.headline}. "
            f"Valid {describe_duration(self.s.policy.otp.valid_for)}. Never share it: we will never call you to ask for it."
        )
        self.s.outbound.queue_code(CodeText(pending.conversation_id, phone, body, challenge.id, pending.id,
                                            challenge.expires_at), now)
        self.s.record("otp_sent", pending.conversation_id, pending=pending, challenge_id=challenge.id,
                      send_number=send_number, channel=SMS, to=f"***{phone[-4:]}")

    def code_not_sent(self, failed: UndeliveredCode) -> Optional[List[str]]:
        """A code for a waiting action never reached the phone: the action is cancelled, with an apology.

        None if ``failed`` was not for an action. Told once: the failure is audited the first time.
        """
        pending = self.s.pendings.get(failed.subject_id)
        if pending is None:
            return None
        self.s.record("otp_delivery_failed", pending.conversation_id, pending=pending,
                      challenge_id=failed.challenge_id, error=failed.error)
        current = self.s.challenges.current(pending.id)
        if current is None or current.id != failed.challenge_id or current.status is not ChallengeStatus.ACTIVE:
            return []  # a newer code went out meanwhile, or this one is no longer wanted
        if not self.s.challenges.update(current, replace(current, status=ChallengeStatus.VOID)):
            return []
        if not self.s.pendings.move(pending.id, (Stage.OTP,), Stage.CANCELLED):
            return []
        return [f"I couldn't send a security code to your phone ending {failed.phone_ending}, so I haven't changed "
                "anything. Please try again in a few minutes, or ask for a person and we'll help you directly."]

    def resend(self, pending: PendingAction, phone: str) -> List[str]:
        current = self.s.challenges.current(pending.id)
        if current is None:
            return self._unclear(pending, phone)
        wait = self.s.step_up.resend_wait_seconds(current, self.s.clock.now())
        if wait < 0:
            return ["I've already sent the maximum number of codes for this request. Reply NO to cancel and start again, or ask for a person."]
        if wait > 0:
            return [f"I've just sent you a code. You can ask for a new one in {wait} second{'' if wait == 1 else 's'}."]
        if current.status is ChallengeStatus.ACTIVE and not self.s.challenges.update(
            current, replace(current, status=ChallengeStatus.SUPERSEDED)
        ):
            return ["A new code is already on its way."]
        self.send_code(pending, phone, current.send_number + 1, attempts=current.attempts)
        self.s.record("otp_resent", pending.conversation_id, actor="customer", pending=pending)
        return [f"I've sent a new code to your phone ending {phone[-4:]}; the previous one no longer works."]

    def _verify(self, pending: PendingAction, code: str) -> List[str]:
        challenge = self.s.challenges.current(pending.id)
        if challenge is None:
            return ["There's no code waiting for this request. Reply RESEND to get one, or NO to cancel."]
        check = self.s.step_up.verify(challenge, code, pending.digest, self.s.clock.now())
        stored = check.verdict in (Verdict.EXPIRED, Verdict.NOT_ACTIVE) or self.s.challenges.update(challenge, check.challenge)
        if not stored:
            return ["That code was just used or replaced. Please check your latest message."]
        event = {
            Verdict.ACCEPTED: "otp_verified", Verdict.WRONG: "otp_failed", Verdict.LOCKED: "otp_locked",
            Verdict.EXPIRED: "otp_expired", Verdict.NOT_ACTIVE: "otp_not_active", Verdict.ACTION_CHANGED: "otp_action_changed",
        }[check.verdict]
        self.s.record(event, pending.conversation_id, actor="customer", pending=pending,
                      challenge_id=challenge.id, attempts=check.challenge.attempts)
        if check.verdict is Verdict.ACCEPTED:
            return self.commit(pending.id, challenge.action_digest, actor="customer")
        if check.verdict is Verdict.WRONG:
            return [f"That code isn't right. You have {check.tries_left} {'try' if check.tries_left == 1 else 'tries'} left."]
        if check.verdict is Verdict.LOCKED:
            self.s.pendings.move(pending.id, AWAITING_CUSTOMER, Stage.CANCELLED)
            return [
                f"That's {self.s.policy.otp.max_attempts} wrong codes, so for your security I've cancelled this request "
                "and nothing was changed. If you still want to go ahead, just ask again and I'll send a new code."
            ]
        if check.verdict is Verdict.EXPIRED:
            return ["That code has expired. Reply RESEND for a new one, or NO to cancel."]
        if check.verdict is Verdict.ACTION_CHANGED:
            self.s.pendings.move(pending.id, AWAITING_CUSTOMER, Stage.CANCELLED)
            return ["This request changed after the code was sent, so the code is no longer valid and nothing was changed. Please ask again."]
        if challenge.status is ChallengeStatus.USED:
            return ["That code has already been used."]
        return ["That code is no longer valid: a newer one was sent. Use the latest code, or reply RESEND."]

    # -- commit -------------------------------------------------------------------------------

    def commit(self, pending_id: str, signed_digest: str, actor: str) -> List[str]:
        """Execute once: claim, final check, run under the idempotency key, record the result."""
        before = self.s.pendings.get(pending_id)
        if before is None or not self.s.pendings.move(pending_id, SIGNABLE, Stage.EXECUTING, claimed_at=self.s.clock.now()):
            current = self.s.pendings.get(pending_id)
            if current and current.stage is Stage.DONE:
                return [current.result_message or "That's already been done."]
            if current and current.stage is Stage.EXECUTING:
                return ["That's being done right now; I'll confirm in a moment."]
            return ["That request is no longer open, so nothing was changed."]
        pending = self.s.pendings.get(pending_id)
        assert pending is not None
        problem = self._final_check(pending, before.stage, signed_digest, self.s.clock.now())
        if problem:
            self.s.pendings.move(pending_id, (Stage.EXECUTING,), Stage.CANCELLED)
            self.s.record("commit_refused", pending.conversation_id, actor="system", pending=pending, problem=problem)
            return [f"I didn't go ahead: {problem}. Nothing was changed; please ask again."]
        return self._execute(pending, actor)

    def resume_stuck(self, conversation_id: str) -> List[str]:
        """Finish actions a worker claimed but never completed (it crashed mid-way).

        They run again under their own idempotency key: if the first attempt reached the
        business, the business returns that result instead of acting twice.
        """
        messages: List[str] = []
        cutoff = self.s.clock.now() - self.s.policy.unfinished_after
        for pending in self.s.pendings.stuck_executing(conversation_id, cutoff):
            self.s.record("execution_resumed", conversation_id, actor="system", pending=pending)
            messages.append(f"About your earlier request: {' '.join(self._execute(pending, 'system'))}")
        return messages

    def _execute(self, pending: PendingAction, actor: str) -> List[str]:
        try:
            result = self.s.business.execute(pending.request, pending.idempotency_key)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the outcome is unknown, not "nothing happened"
            return self._outcome_unknown(pending, exc)
        self.s.pendings.move(pending.id, (Stage.EXECUTING,), Stage.DONE if result.ok else Stage.FAILED, result.message)
        self.s.record("executed" if result.ok else "execution_refused", pending.conversation_id, actor=actor,
                      pending=pending, idempotency_key=pending.idempotency_key, result=result.message,
                      replayed=result.replayed or None)
        return [result.message]

    def _outcome_unknown(self, pending: PendingAction, error: Exception) -> List[str]:
        """The backend may or may not have run it: park it for a person, who reuses the same key.

        Telling the customer "nothing changed, ask again" would mint a new idempotency key,
        and a second request could run the action twice.
        """
        self.s.pendings.move(pending.id, (Stage.EXECUTING,), Stage.WITH_AGENT)
        detail = f"{type(error).__name__}: {error}"
        self.s.record("execution_unconfirmed", pending.conversation_id, actor="system", pending=pending, error=detail)
        raise OutcomeUnknown(pending, detail)

    def _final_check(self, pending: PendingAction, signed_in: Stage, signed_digest: str, now: datetime) -> Optional[str]:
        if signed_in not in SIGNED_BY_PEOPLE and pending.is_expired(now):
            return "the request expired before it was confirmed"
        if action_digest(pending.request) != pending.digest or signed_digest != pending.digest:
            return "the request changed after it was confirmed"
        return None

    def _void_code(self, pending: PendingAction) -> None:
        challenge = self.s.challenges.current(pending.id)
        if challenge and challenge.status is ChallengeStatus.ACTIVE:
            self.s.challenges.update(challenge, replace(challenge, status=ChallengeStatus.VOID))
