"""The audit trail: one append-only record per AI or human decision.

Records say who (bot, customer, agent, manager, system), what happened, to which
conversation and action, why (reason codes with details) and under which policy version.
One-time codes never appear here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional, Protocol, Sequence, Tuple


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str  # "bot", "customer", "system", later "agent:<id>" / "manager:<id>"
    event: str
    conversation_id: str
    customer_id: Optional[str] = None
    pending_id: Optional[str] = None
    request: Optional[str] = None
    outcome: Optional[str] = None
    tier: Optional[str] = None
    reasons: Tuple[str, ...] = ()
    policy_version: Optional[str] = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def audit_entry(at: datetime, actor: str, event: str, conversation_id: str, *, detail: Mapping[str, Any],
                customer_id: Optional[str] = None, pending_id: Optional[str] = None, request: Optional[str] = None,
                outcome: Optional[str] = None, tier: Optional[str] = None, reasons: Tuple[str, ...] = (),
                policy_version: Optional[str] = None) -> AuditEntry:
    """The one way an entry is made (``Services.entry`` and its kin build on it): a detail that is
    None is left out, so an entry lists only what was there to say."""
    return AuditEntry(at=at, actor=actor, event=event, conversation_id=conversation_id, customer_id=customer_id,
                      pending_id=pending_id, request=request, outcome=outcome, tier=tier, reasons=reasons,
                      policy_version=policy_version,
                      detail={key: value for key, value in detail.items() if value is not None})


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> None: ...

    def entries(self, conversation_id: Optional[str] = None) -> Sequence[AuditEntry]: ...
