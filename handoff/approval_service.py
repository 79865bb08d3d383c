"""Deciding an approval request: approve (once, or the first of two), reject, modify, and the
timers' expiry and escalation.

A decision is a compare-and-set on the request's version with its audit record; an approval
that completes runs the action under the idempotency key minted when it was proposed, and
people who have the conversation are told on their ticket.
"""

from __future__ import annotations

from typing import Optional

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.money import AmountError, format_cents, parse_amount
from actions.domain.pending import PendingAction, Stage
from handoff.desk_base import APPROVAL_ACTION, DeskBase, actor, bot_runs
from handoff.domain import approvals as approval_rules
from handoff.domain.approvals import Decision
from handoff.domain.errors import Conflict, Forbidden, InboxError, NotFound
from handoff.domain.people import User


class ApprovalService(DeskBase):
    def approval(self, user: User, approval_id: str) -> Approval:
        if not user.sees_approvals:
            raise Forbidden("approvals are for seniors and managers")
        approval = self.store.approval(approval_id)
        if approval is None:
            raise NotFound(f"there is no approval request {approval_id}")
        if not user.sees(approval.queue):
            raise Forbidden(f"request {approval.ref} is in the {approval.queue} approvals, which a {user.role.value} can't see")
        return approval

    def may_decide(self, user: User, approval: Approval) -> Optional[str]:
        """Why ``user`` may not decide this request now, or None if they may (who gets a notice by phone)."""
        if not user.sees_approvals or not user.sees(approval.queue):
            return "it is not in your approvals queue"
        return approval_rules.refusal(approval, user, self.s.policy.approvals,
                                      self.store.handled_by(approval.conversation_id))

    def approve(self, user: User, approval_id: str, version: Optional[int], via: Optional[str] = None) -> Approval:
        """Approve (or give the first of two approvals); the request as it now stands."""
        approval = self._deciding(user, approval_id, via)
        decision = self._decide(user, approval, lambda handled: approval_rules.approve(
            approval, user, self.s.policy.approvals, handled, version, self.now), via=via)
        if decision.final:
            self._execute(user, decision.after)
        return self.store.approval(approval_id) or decision.after

    def reject(self, user: User, approval_id: str, version: Optional[int], reason: str, via: Optional[str] = None) -> None:
        approval = self._deciding(user, approval_id, via)
        decision = self._decide(user, approval, lambda handled: approval_rules.reject(
            approval, user, self.s.policy.approvals, handled, version, reason, self.now),
            outgoing=[bot_runs(APPROVAL_ACTION)], via=via)
        self._settle_pending(decision, Stage.CANCELLED, actor(user))
        self._tell_people(decision.after, f"Request {approval.ref} rejected by {user.username}: {decision.after.decision_reason}")

    def modify(self, user: User, approval_id: str, version: Optional[int], amount: str, reason: str) -> None:
        approval = self._deciding(user, approval_id)
        try:
            new_cents = parse_amount(amount) if (amount or "").strip() else None
        except AmountError as refused:
            raise InboxError(refused.message) from None
        decision = self._decide(user, approval, lambda handled: approval_rules.modify(
            approval, user, self.s.policy.approvals, handled, version, new_cents, reason, self.now),
            outgoing=[bot_runs(APPROVAL_ACTION)])
        self._settle_pending(decision, Stage.CANCELLED, actor(user))
        self._tell_people(decision.after, f"Request {approval.ref} modified by {user.username} to "
                                          f"{format_cents(decision.after.new_amount_cents or 0)}: the customer confirms it again")

    def expire(self, approval_id: str, seen_version: int) -> bool:
        """The decision deadline passed: nothing runs, the customer is told. A no-op if it moved on."""
        approval = self.store.approval(approval_id)
        if approval is None or approval.version != seen_version:
            return False
        decision = approval_rules.expire(approval, self.now)
        if decision is None or not self.store.decide(decision, self._approval_audit("timer", decision),
                                                     outgoing=[bot_runs(APPROVAL_ACTION)]):
            return False
        self._settle_pending(decision, Stage.EXPIRED, "timer")
        self._tell_people(decision.after, f"Request {approval.ref} lapsed undecided: nothing was done")
        return True

    def escalate_approval(self, approval_id: str, seen_version: int) -> bool:
        approval = self.store.approval(approval_id)
        if approval is None or approval.version != seen_version:
            return False
        decision = approval_rules.escalate(approval)
        return bool(decision and self.store.decide(decision, self._approval_audit("timer", decision)))

    def _deciding(self, user: User, approval_id: str, via: Optional[str] = None) -> Approval:
        """The request a person is about to decide; an attempt outside their queues is refused on record."""
        try:
            return self.approval(user, approval_id)
        except Forbidden as refused:
            approval = self.store.approval(approval_id)
            if approval is not None:
                self._refused(user, approval, refused, via)
            raise

    def _refused(self, user: User, approval: Approval, refused: Forbidden, via: Optional[str] = None) -> None:
        where = {"via": via} if via else {}
        self.s.audit.append(self.s.approval_entry("approval_refused", approval, actor=actor(user), why=refused.message,
                                                  **where))

    def _decide(self, user: User, approval: Approval, rule, outgoing: list | tuple = (), via: Optional[str] = None) -> Decision:
        try:
            decision = rule(self.store.handled_by(approval.conversation_id))
        except Forbidden as refused:
            self._refused(user, approval, refused, via)
            raise
        if not self.store.decide(decision, self._approval_audit(actor(user), decision, via=via), outgoing=outgoing):
            current = self.store.approval(approval.id)
            raise Conflict(f"request {approval.ref} was decided or changed by someone else"
                           f"{f' (now {current.status})' if current else ''}; reload and look again")
        return decision

    def _execute(self, user: User, approval: Approval) -> None:
        pending = self.s.pendings.get(approval.pending_id)
        if pending is not None:
            self._execute_as(actor(user), approval, pending)

    def _execute_as(self, who: str, approval: Approval, pending: PendingAction) -> None:
        result = self._run(pending, who)
        self.store.record_result(approval.id, result, [bot_runs(APPROVAL_ACTION)], self.now)
        self._tell_people(approval, f"Request {approval.ref} approved by {approval.decided_by}: {result}")

    def _tell_people(self, approval: Approval, text: str) -> None:
        """If people have the conversation, the decision goes on their ticket (the bot stays silent)."""
        open_ticket = self.s.handoffs.open_for(approval.conversation_id)
        ticket = self.store.ticket(open_ticket.id) if open_ticket else None
        if ticket is not None:
            self.store.add_note(ticket, "system", None, text, self.s.ticket_entry(
                "decision_passed_to_ticket", ticket, actor="system", pending_id=approval.pending_id,
                approval_id=approval.id))

    def _settle_pending(self, decision: Decision, stage: Stage, who: str) -> None:
        pending = self.s.pendings.get(decision.after.pending_id)
        if pending and self.s.pendings.move(pending.id, (Stage.APPROVAL,), stage):
            self.s.record(f"pending_{decision.after.status}", pending.conversation_id, actor=who, pending=pending,
                          approval_id=decision.after.id)

    def _approval_audit(self, who: str, decision: Decision, via: Optional[str] = None) -> AuditEntry:
        """``via``: where a person decided when not in the inbox (``phone``)."""
        where = {"via": via} if via else {}
        return self.s.approval_entry(decision.event, decision.before, actor=who,
                                     amount_cents=decision.before.amount_cents, **decision.detail, **where)
