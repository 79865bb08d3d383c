"""Whom to call when a phone call needs a person: the people available by phone, in order.

A warm transfer rings people one at a time while the caller waits on hold, so the order matters:
the person who already has the ticket knows the case, then the people of the ticket's own queue,
then those of the queues it escalates to (agent -> senior -> manager, as the policy's
``inbox.escalate`` says). Only people who said they take calls, with a number proven by a code,
whose login is active and whose role sees the ticket's queue are called; admins handle no
tickets, so they take no calls. Nobody is called outside opening hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, List, Mapping, Optional, Sequence

from actions.domain.policy import RiskPolicy
from actions.domain.ticket import Ticket
from handoff.domain.people import Role, User

#: Roles that handle tickets, so may take a customer's call.
CALL_TAKERS = (Role.AGENT, Role.SENIOR, Role.MANAGER)


@dataclass(frozen=True)
class PhonePerson:
    """A person as the roster sees them: their proven number (None without one) and whether they
    take calls now."""

    user: User
    phone: Optional[str]
    available_by_phone: bool
    active: bool = True

    @property
    def username(self) -> str:
        return self.user.username


def call_refusal(role: Role) -> Optional[str]:
    """Why a person of this role may not take calls (None if they may)."""
    return None if role in CALL_TAKERS else "admins handle no tickets, so they take no customer calls"


def may_be_called(person: PhonePerson, queue: str) -> bool:
    return (person.available_by_phone and person.phone is not None and person.active
            and call_refusal(person.user.role) is None and person.user.sees(queue))


def whom_to_call(ticket: Ticket, people: Iterable[PhonePerson], policy: RiskPolicy, now: datetime,
                 tried: Sequence[str] = ()) -> List[PhonePerson]:
    """Who to ring for ``ticket``, first first: its assignee, then its queue's people, then the
    escalation queues'; none outside opening hours.

    ``tried`` names the people this transfer already rang (declined, missed, voicemail): they are
    skipped, and count towards ``voice.max_people``, so a transfer never rings more people than that.
    """
    if not policy.opening_hours.is_open(now):
        return []
    left = policy.voice.max_people - len(tried)
    if left <= 0:
        return []
    callable_people = [p for p in people if may_be_called(p, ticket.queue) and p.username not in tried]
    ordered: List[PhonePerson] = []
    for person in callable_people:
        if person.username == ticket.assignee:
            ordered.append(person)
    for queue in queue_chain(ticket.queue, policy.inbox.escalate):
        ordered += sorted((p for p in callable_people if p.user.role.value == queue and p not in ordered),
                          key=lambda p: p.username)
    return ordered[:left]


def queue_chain(queue: str, escalate: Mapping[str, str]) -> List[str]:
    """The queue, then each it escalates to in turn: agent -> senior -> manager."""
    chain = [queue]
    while escalate.get(chain[-1]) and escalate[chain[-1]] not in chain:
        chain.append(escalate[chain[-1]])
    return chain
