"""Requests for a person: a handoff to the shared inbox, or a manager's approval."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional, Protocol, Sequence, Tuple

#: Ticket states while people have the conversation: waiting in a queue, or with someone.
ACTIVE_STATUSES = ("open", "assigned")
#: How a ticket ends when the customer says they no longer need help (people's own outcomes are in the inbox).
WITHDRAWN = "withdrawn"


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
    status: str = "open"  # open (in a queue) | assigned (a person has it) | closed (handed back)
    evidence: Mapping[str, Any] = field(default_factory=dict)  # EvidencePack.to_dict()
    queue: str = "agent"  # agent | senior | manager: who should pick it up
    assignee: Optional[str] = None
    outcome: Optional[str] = None  # how the person handed it back: resolved | continue | approved | rejected | closed
    resolution: Optional[str] = None  # the person's note on it (a rejection's reason is told to the customer)


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
    queue: str = "manager"  # senior | manager: the least senior approvers who may decide it
    raised_by: Optional[str] = None  # the person who sent it for approval; None when the bot did
    new_amount_cents: Optional[int] = None  # a manager's lower amount, for the customer to confirm
    decision_reason: Optional[str] = None  # why it was rejected or modified, told to the customer
    decided_by: Optional[str] = None
    result: Optional[str] = None  # what the business said when it ran
    evidence: Mapping[str, Any] = field(default_factory=dict)  # EvidencePack.to_dict(), for the approver


class HandoffQueue(Protocol):
    def add(self, request: HandoffRequest) -> None: ...

    def open_for(self, conversation_id: str) -> Optional[HandoffRequest]:
        """The conversation's ticket while people have it (waiting in a queue or assigned); the
        oldest if there are two (an urgent check opened beside the one people talk through)."""
        ...

    def customer_said(self, ticket_id: str, text: str, at: datetime) -> bool:
        """Pass a customer's message to the people who have the conversation, in order.

        False if the ticket was closed meanwhile (handed back): then the bot answers it.
        """
        ...

    def raise_priority(self, ticket_id: str, priority: str, why: str, at: datetime) -> bool:
        """Make a waiting ticket more urgent (never less), noting why on it; True if it changed."""
        ...

    def waiting_ahead(self, ticket: HandoffRequest) -> int:
        """How many tickets in the same queue are waiting for someone to take them and came in first."""
        ...

    def withdraw(self, ticket_id: str, at: datetime) -> bool:
        """Close an active ticket because the customer no longer needs help; False if it is not active."""
        ...

    def take_untold(self, conversation_id: str) -> Optional[HandoffRequest]:
        """The conversation's latest handed-back ticket the customer has not yet heard about, marked
        as told (a compare-and-set: told once even if the news is delivered twice)."""
        ...

    def for_customer(self, customer_id: str) -> Sequence[HandoffRequest]:
        """Every handoff of this customer, oldest first: their ticket history."""
        ...


class ApprovalQueue(Protocol):
    def add(self, request: ApprovalRequest) -> None: ...

    def for_pending(self, pending_id: str) -> Optional[ApprovalRequest]: ...

    def open_for_customer(self, customer_id: str) -> Sequence[ApprovalRequest]:
        """Requests of this customer still waiting for a manager, oldest first."""
        ...

    def take_untold(self, conversation_id: str) -> Sequence[ApprovalRequest]:
        """Decided requests of this conversation the customer has not heard about, marked as told."""
        ...
