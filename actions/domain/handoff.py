"""Requests for a person: a handoff to the shared inbox, or a manager's approval."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional, Protocol, Sequence, Tuple


@dataclass(frozen=True)
class HandoffRequest:
    id: str
    conversation_id: str
    customer_id: Optional[str]
    topic: str
    priority: str  # urgent | high | normal
    reasons: Tuple[str, ...]
    pending_id: Optional[str]
    created_at: datetime
    status: str = "open"
    evidence: Mapping[str, Any] = field(default_factory=dict)  # EvidencePack.to_dict()


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    pending_id: str
    conversation_id: str
    customer_id: str
    kind: str
    amount_cents: Optional[int]
    summary: str
    reasons: Tuple[str, ...]
    requested_at: datetime
    status: str = "pending"


class HandoffQueue(Protocol):
    def add(self, request: HandoffRequest) -> None: ...

    def open_for(self, conversation_id: str) -> Optional[HandoffRequest]: ...

    def for_customer(self, customer_id: str) -> Sequence[HandoffRequest]:
        """Every handoff of this customer, oldest first: their ticket history."""
        ...


class ApprovalQueue(Protocol):
    def add(self, request: ApprovalRequest) -> None: ...

    def for_pending(self, pending_id: str) -> Optional[ApprovalRequest]: ...

    def open_for_customer(self, customer_id: str) -> Sequence[ApprovalRequest]:
        """Requests of this customer still waiting for a manager, oldest first."""
        ...
