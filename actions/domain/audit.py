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


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> None: ...

    def entries(self, conversation_id: Optional[str] = None) -> Sequence[AuditEntry]: ...
