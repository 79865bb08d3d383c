"""Everything the assistant depends on, injected in one bundle (stores, backend, clock, ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from uuid import uuid4

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry, AuditLog, audit_entry
from actions.domain.business import Business
from actions.domain.clock import Clock, SystemClock
from actions.domain.handoff import ApprovalQueue, HandoffQueue
from actions.domain.links import IdentityLinkStore
from actions.domain.outbound import Outbound
from actions.domain.sealed import SealedInputs
from actions.domain.pending import PendingAction
from actions.domain.policy import RiskPolicy
from actions.domain.risk import Decision
from actions.domain.step_up import StepUp
from actions.domain.stores import ChallengeStore, DraftStore, PendingStore
from actions.domain.ticket import Ticket


def new_id() -> str:
    return uuid4().hex


@dataclass
class Services:
    policy: RiskPolicy
    business: Business
    pendings: PendingStore
    challenges: ChallengeStore
    drafts: DraftStore
    audit: AuditLog
    handoffs: HandoffQueue
    approvals: ApprovalQueue
    links: IdentityLinkStore
    outbound: Outbound
    sealed: SealedInputs
    step_up: StepUp
    #: Keys the hashes kept of the addresses sign-ins come from (``links.client_digest``).
    clock: Clock = field(default_factory=SystemClock)
    make_id: Callable[[], str] = new_id

    def entry(
        self,
        event: str,
        conversation_id: str,
        *,
        actor: str = "bot",
        customer_id: Optional[str] = None,
        pending: Optional[PendingAction] = None,
        request: Optional[str] = None,
        decision: Optional[Decision] = None,
        **detail: object,
    ) -> AuditEntry:
        """The audit entry of something happening now; decisions carry their reasons and the policy version."""
        return audit_entry(
            self.clock.now(), actor, event, conversation_id, detail=detail,
            customer_id=customer_id or (pending.customer_id if pending else None),
            pending_id=pending.id if pending else None,
            request=request or (pending.request.kind if pending else None),
            outcome=decision.outcome if decision else (pending.outcome if pending else None),
            tier=decision.tier if decision else (pending.tier if pending else None),
            reasons=tuple(r.text for r in decision.reasons) if decision else (pending.reasons if pending else ()),
            policy_version=decision.policy_version if decision else (pending.policy_version if pending else self.policy.version),
        )

    def record(self, event: str, conversation_id: str, **how: Any) -> None:
        """Append the audit entry (``entry``) of something happening now."""
        self.audit.append(self.entry(event, conversation_id, **how))

    def ticket_entry(self, event: str, ticket: Ticket, *, actor: str, pending: Optional[PendingAction] = None,
                     pending_id: Optional[str] = None, **detail: object) -> AuditEntry:
        """The audit entry of something people or timers do on a ticket: it names the ticket and the
        version acted on, and the action waiting on it (``pending``, else ``pending_id`` or the ticket's)."""
        return audit_entry(
            self.clock.now(), actor, event, ticket.conversation_id,
            detail={"ticket_id": ticket.id, "ticket_version": ticket.version, **detail},
            customer_id=ticket.customer_id, pending_id=pending.id if pending else pending_id or ticket.pending_id,
            request=pending.request.kind if pending else None, policy_version=self.policy.version,
        )

    def approval_entry(self, event: str, approval: Approval, *, actor: str, **detail: object) -> AuditEntry:
        """The audit entry of something people or timers do on an approval request, naming its version."""
        return audit_entry(
            self.clock.now(), actor, event, approval.conversation_id,
            detail={"approval_id": approval.id, "approval_version": approval.version, **detail},
            customer_id=approval.customer_id, pending_id=approval.pending_id, request=approval.kind,
            policy_version=self.policy.version,
        )
