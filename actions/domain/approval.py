"""An approval request: an action a customer (or the person with their case) asked for, waiting
for a senior's or a manager's sign-off before anything runs.

The one model of a row of ``approval_requests``: the assistant raises requests and tells the
customer the decision, the inbox decides them (``handoff.domain.approvals`` holds its rules).
Both build a new request with ``new_approval``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional, Tuple

from actions.domain.pending import PendingAction
from actions.domain.policy import ApprovalRules

PENDING, APPROVED, REJECTED, MODIFIED, EXPIRED = "pending", "approved", "rejected", "modified", "expired"


@dataclass(frozen=True)
class Approval:
    id: str
    pending_id: str
    conversation_id: str
    customer_id: str
    kind: str
    amount_cents: Optional[int]
    summary: str
    reasons: Tuple[str, ...]
    requested_at: datetime
    status: str = PENDING
    queue: str = "manager"  # senior | manager: the least senior approvers who may decide it
    version: int = 1
    raised_by: Optional[str] = None  # a person who sent it for approval; None when the bot did
    approvers: Tuple[str, ...] = ()  # approvals so far (two are needed above the top limit)
    decided_by: Optional[str] = None
    decided_at: Optional[datetime] = None
    decision_reason: Optional[str] = None  # why it was rejected or modified, told to the customer
    new_amount_cents: Optional[int] = None  # a modified refund's amount, back to the customer to confirm
    result: Optional[str] = None  # what the business said when it ran
    escalated: bool = False
    evidence: Mapping[str, Any] = field(default_factory=dict)  # the pack the bot built when it asked

    @property
    def ref(self) -> str:
        return self.id[:8].upper()


def new_approval(rules: ApprovalRules, pending: PendingAction, *, id: str, at: datetime,
                 evidence: Mapping[str, Any], raised_by: Optional[str] = None,
                 reasons: Tuple[str, ...] = ()) -> Approval:
    """A request to sign off ``pending``, in the queue of the least senior people who may decide it.

    ``reasons`` are added to the action's own (a person's note on why they raised it).
    """
    return Approval(
        id=id, pending_id=pending.id, conversation_id=pending.conversation_id, customer_id=pending.customer_id,
        kind=pending.request.kind, amount_cents=pending.amount_cents, summary=pending.summary,
        reasons=pending.reasons + reasons, requested_at=at,
        queue=rules.queue_for(pending.request.kind, pending.amount_cents), raised_by=raised_by, evidence=evidence,
    )
