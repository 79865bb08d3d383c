"""Everything the assistant depends on, injected in one bundle (stores, backend, clock, ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional
from uuid import uuid4

from actions.domain.audit import AuditEntry, AuditLog
from actions.domain.business import Business
from actions.domain.clock import Clock, SystemClock
from actions.domain.handoff import ApprovalQueue, HandoffQueue
from actions.domain.links import IdentityLinkStore
from actions.domain.messaging import SmsSender
from actions.domain.pending import PendingAction
from actions.domain.policy import RiskPolicy
from actions.domain.risk import Decision
from actions.domain.step_up import StepUp
from actions.domain.stores import ChallengeStore, DraftStore, PendingStore


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
    sms: SmsSender
    step_up: StepUp
    clock: Clock = field(default_factory=SystemClock)
    make_id: Callable[[], str] = new_id

    def record(
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
    ) -> None:
        """Append one audit record; decisions carry their reasons and the policy version."""
        self.audit.append(AuditEntry(
            at=self.clock.now(),
            actor=actor,
            event=event,
            conversation_id=conversation_id,
            customer_id=customer_id or (pending.customer_id if pending else None),
            pending_id=pending.id if pending else None,
            request=request or (pending.request.kind if pending else None),
            outcome=decision.outcome if decision else (pending.outcome if pending else None),
            tier=decision.tier if decision else (pending.tier if pending else None),
            reasons=tuple(r.text for r in decision.reasons) if decision else (pending.reasons if pending else ()),
            policy_version=decision.policy_version if decision else (pending.policy_version if pending else self.policy.version),
            detail={key: value for key, value in detail.items() if value is not None},
        ))
