"""A ticket: one conversation in the hands of people, from handoff to hand-back.

The one model of a row of ``handoff_requests``: the assistant opens tickets and passes the
customer's words on, the inbox works them (``handoff.domain.tickets`` holds its rules). Both
build a new ticket with ``new_ticket``, so a ticket the bot raises and one a failed sign-off
raises in the inbox start out alike.

States: ``open`` (waiting in a queue) -> ``assigned`` (one person has it) -> ``closed``
(handed back to the bot, or closed). Every change makes a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping, Optional, Tuple

from actions.domain.policy import InboxRules

OPEN, ASSIGNED, CLOSED = "open", "assigned", "closed"
#: Ticket states while people have the conversation: waiting in a queue, or with someone.
ACTIVE_STATUSES = (OPEN, ASSIGNED)
#: How a ticket ends when the customer says they no longer need help (people's own outcomes are in the inbox).
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Ticket:
    id: str
    conversation_id: str
    customer_id: Optional[str]
    topic: str
    priority: str  # urgent | high | normal
    queue: str  # agent | senior | manager: who should pick it up
    status: str  # open | assigned | closed
    reasons: Tuple[str, ...]
    pending_id: Optional[str]
    created_at: datetime
    queued_at: datetime  # when it last entered its queue (created, transferred, escalated)
    version: int = 1
    assignee: Optional[str] = None
    claimed_at: Optional[datetime] = None
    last_customer_at: Optional[datetime] = None  # the customer's latest message since the handoff
    last_agent_at: Optional[datetime] = None  # the latest reply a person sent
    reminded_for: Optional[datetime] = None  # the reply deadline the assignee was reminded of
    overdue_for: Optional[datetime] = None  # the deadline flagged overdue where no queue is above
    closed_at: Optional[datetime] = None
    outcome: Optional[str] = None  # how the person handed it back: resolved | continue | approved | rejected | closed
    resolution: Optional[str] = None  # the person's note on it (a rejection's reason is told to the customer)
    evidence: Mapping[str, Any] = field(default_factory=dict)  # EvidencePack.to_dict()

    @property
    def ref(self) -> str:
        return self.id[:8].upper()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def _next(self, **changes: Any) -> "Ticket":
        return replace(self, version=self.version + 1, **changes)


def new_ticket(rules: InboxRules, *, id: str, conversation_id: str, customer_id: Optional[str], topic: str,
               priority: str, reasons: Tuple[str, ...], pending_id: Optional[str], at: datetime,
               evidence: Mapping[str, Any]) -> Ticket:
    """A ticket waiting in the queue the policy names for its topic."""
    return Ticket(id=id, conversation_id=conversation_id, customer_id=customer_id, topic=topic, priority=priority,
                  queue=rules.queue_for(topic), status=OPEN, reasons=reasons, pending_id=pending_id,
                  created_at=at, queued_at=at, evidence=evidence)
