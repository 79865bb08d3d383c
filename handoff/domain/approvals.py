"""Who may sign off a request sent for approval, and what each decision does.

Who may sign off at all is ``sign_off``'s rule (limits by amount, roles by kind, never an
admin); above the highest limit two different managers must approve. Four eyes: nobody
approves a request they raised or a case they handled themselves. A refused attempt is an
error the approver is shown, and the caller audits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Collection, Dict, Optional

from actions.domain.approval import APPROVED, EXPIRED, MODIFIED, PENDING, REJECTED, Approval
from actions.domain.money import format_cents
from actions.domain.policy import ApprovalRules
from handoff.domain.errors import Conflict, Forbidden, InboxError
from handoff.domain import sign_off
from handoff.domain.people import User


@dataclass(frozen=True)
class Decision:
    before: Approval
    after: Approval
    event: str
    detail: Dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        """True when this decision ends the request (a first of two approvals does not)."""
        return self.after.status != PENDING


def approvals_needed(approval: Approval, rules: ApprovalRules) -> int:
    return 2 if approval.amount_cents is not None and approval.amount_cents > rules.top_limit_cents else 1


def refusal(approval: Approval, user: User, rules: ApprovalRules, handled_by: Collection[str]) -> Optional[str]:
    """Why ``user`` may not decide this request, or None if they may."""
    role_refusal = sign_off.refusal(user.role, approval.kind, approval.amount_cents, rules, second_signature=True)
    if role_refusal:
        return role_refusal
    if approval.status != PENDING:
        return f"it is already {approval.status}"
    if approval.raised_by == user.username:
        return "you raised this request: someone else must approve it (four eyes)"
    if user.username in handled_by:
        return "you handled this customer's case: someone else must approve it (four eyes)"
    if user.username in approval.approvers:
        return "you have already approved it: a second manager must approve too"
    return None


def _check(approval: Approval, user: User, rules: ApprovalRules, handled_by: Collection[str], seen: Optional[int]) -> None:
    if seen is None:
        raise InboxError("say which version of the request you are deciding ('version')")
    if seen != approval.version:
        raise Conflict(f"request {approval.ref} changed since you opened it (now {approval.status}); reload and look again")
    why = refusal(approval, user, rules, handled_by)
    if why:
        raise Forbidden(f"you can't decide request {approval.ref}: {why}")


def approve(approval: Approval, user: User, rules: ApprovalRules, handled_by: Collection[str],
            seen: Optional[int], now: datetime) -> Decision:
    _check(approval, user, rules, handled_by, seen)
    approvers = approval.approvers + (user.username,)
    if len(approvers) < approvals_needed(approval, rules):
        after = replace(approval, approvers=approvers, version=approval.version + 1)
        return Decision(approval, after, "approval_first_signature", {"approvers": list(approvers)})
    after = replace(approval, approvers=approvers, status=APPROVED, decided_by=user.username, decided_at=now,
                    version=approval.version + 1)
    return Decision(approval, after, "approval_approved", {"approvers": list(approvers)})


def reject(approval: Approval, user: User, rules: ApprovalRules, handled_by: Collection[str],
           seen: Optional[int], reason: str, now: datetime) -> Decision:
    reason = (reason or "").strip()
    if not reason:
        raise InboxError("give a reason for rejecting: the customer is told it")
    _check(approval, user, rules, handled_by, seen)
    after = replace(approval, status=REJECTED, decided_by=user.username, decided_at=now, decision_reason=reason,
                    version=approval.version + 1)
    return Decision(approval, after, "approval_rejected", {"reason": reason})


def modify(approval: Approval, user: User, rules: ApprovalRules, handled_by: Collection[str],
           seen: Optional[int], new_amount_cents: Optional[int], reason: str, now: datetime) -> Decision:
    if approval.kind != "refund" or approval.amount_cents is None:
        raise InboxError("only a refund's amount can be modified; approve or reject this request")
    if new_amount_cents is None or new_amount_cents <= 0:
        raise InboxError("give the new amount in dollars, e.g. 450.00")
    if new_amount_cents >= approval.amount_cents:
        raise InboxError(f"the new amount must be lower than the {format_cents(approval.amount_cents)} asked for")
    _check(approval, user, rules, handled_by, seen)
    after = replace(approval, status=MODIFIED, decided_by=user.username, decided_at=now,
                    decision_reason=(reason or "").strip() or None, new_amount_cents=new_amount_cents,
                    version=approval.version + 1)
    return Decision(approval, after, "approval_modified",
                    {"old_amount_cents": approval.amount_cents, "new_amount_cents": new_amount_cents})


def expire(approval: Approval, now: datetime) -> Optional[Decision]:
    if approval.status != PENDING:
        return None
    after = replace(approval, status=EXPIRED, decided_at=now, decided_by="timer", version=approval.version + 1)
    return Decision(approval, after, "approval_expired")


def escalate(approval: Approval) -> Optional[Decision]:
    if approval.status != PENDING or approval.escalated:
        return None
    # managers see every queue: the flag puts it at the top of theirs, the deciders stay the same
    after = replace(approval, escalated=True, version=approval.version + 1)
    return Decision(approval, after, "approval_escalated", {"queue": approval.queue})


def allowed(approval: Approval, user: User, rules: ApprovalRules, handled_by: Collection[str]) -> Dict[str, Any]:
    why = refusal(approval, user, rules, handled_by)
    can = why is None
    return {
        "can": {"approve": can, "reject": can, "modify": can and approval.kind == "refund"},
        "cannot_because": why if approval.status == PENDING else None,
    }
