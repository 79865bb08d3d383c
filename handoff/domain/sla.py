"""Service levels: when a ticket must be claimed and answered, and what a timer does then.

Deadlines come from the policy file. A ticket waiting in a queue must be claimed within the
claim time of its priority, counted from when it entered the queue; once someone has it, the
customer must be answered within the reply time, counted from the claim or from the oldest
customer message the agent has not answered yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from actions.domain.policy import ApprovalRules, InboxRules
from actions.domain.ticket import ASSIGNED, OPEN, Ticket


@dataclass(frozen=True)
class Deadline:
    kind: str  # claim | reply
    due_at: datetime

    def seconds_left(self, now: datetime) -> int:
        return int((self.due_at - now).total_seconds())

    def to_dict(self, now: datetime) -> dict:
        left = self.seconds_left(now)
        return {"kind": self.kind, "due_at": self.due_at.isoformat(), "seconds_left": left, "breached": left < 0}


def deadline(ticket: Ticket, rules: InboxRules) -> Optional[Deadline]:
    times = rules.sla[ticket.priority] if ticket.priority in rules.sla else rules.sla["normal"]
    if ticket.status == OPEN:
        return Deadline("claim", ticket.queued_at + times.claim)
    if ticket.status == ASSIGNED and ticket.claimed_at:
        if ticket.last_agent_at is None:
            return Deadline("reply", ticket.claimed_at + times.reply)
        if ticket.last_customer_at and ticket.last_customer_at > ticket.last_agent_at:
            return Deadline("reply", ticket.last_customer_at + times.reply)
    return None


@dataclass(frozen=True)
class TimerStep:
    """What a ticket's timer does when it fires, and when it should fire."""

    action: str  # escalate | remind | overdue
    at: datetime


def next_ticket_step(ticket: Ticket, rules: InboxRules) -> Optional[TimerStep]:
    due = deadline(ticket, rules)
    if due is None:
        return None
    if due.kind == "reply" and ticket.reminded_for != due.due_at:
        return TimerStep("remind", due.due_at - rules.remind_before)
    # not claimed, or not answered, in time: to the backup queue, or flagged overdue once at the top
    if ticket.queue in rules.escalate:
        return TimerStep("escalate", due.due_at)
    return None if ticket.overdue_for == due.due_at else TimerStep("overdue", due.due_at)


def next_approval_step(requested_at: datetime, escalated: bool, rules: ApprovalRules) -> TimerStep:
    if not escalated:
        return TimerStep("escalate", requested_at + rules.escalate_after)
    return TimerStep("expire", requested_at + rules.decide_within)
