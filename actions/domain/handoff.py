"""Where the assistant puts requests for a person: tickets for the shared inbox, and approval
requests for seniors and managers (the records themselves are ``ticket`` and ``approval``)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Protocol, Sequence

from actions.domain.approval import Approval
from actions.domain.ticket import Ticket


class HandoffQueue(Protocol):
    def add(self, ticket: Ticket) -> None: ...

    def open_for(self, conversation_id: str) -> Optional[Ticket]:
        """The conversation's ticket while people have it (waiting in a queue or assigned); the
        oldest if there are two (an urgent check opened beside the one people talk through)."""
        ...

    def customer_said(self, ticket_id: str, text: str, at: datetime, channel: Optional[str] = None) -> bool:
        """Pass a customer's message (that came by ``channel``) to the people who have the conversation, in order.

        False if the ticket was closed meanwhile (handed back): then the bot answers it.
        """
        ...

    def raise_priority(self, ticket_id: str, priority: str, why: str, at: datetime) -> bool:
        """Make a waiting ticket more urgent (never less), noting why on it; True if it changed."""
        ...

    def waiting_ahead(self, ticket: Ticket) -> int:
        """How many tickets in the same queue are waiting for someone to take them and came in first."""
        ...

    def withdraw(self, ticket_id: str, at: datetime) -> bool:
        """Close a ticket still waiting in its queue because the customer no longer needs help;
        False if it is not waiting any more (someone has it, or it is closed)."""
        ...

    def take_untold(self, conversation_id: str) -> Optional[Ticket]:
        """The conversation's latest handed-back ticket the customer has not yet heard about, marked
        as told (a compare-and-set: told once even if the news is delivered twice)."""
        ...

    def for_customer(self, customer_id: str) -> Sequence[Ticket]:
        """Every handoff of this customer, oldest first: their ticket history."""
        ...


class ApprovalQueue(Protocol):
    def add(self, approval: Approval) -> None: ...

    def for_pending(self, pending_id: str) -> Optional[Approval]: ...

    def open_for_customer(self, customer_id: str) -> Sequence[Approval]:
        """Requests of this customer still waiting for a manager, oldest first."""
        ...

    def take_untold(self, conversation_id: str) -> Sequence[Approval]:
        """Decided requests of this conversation the customer has not heard about, marked as told."""
        ...
