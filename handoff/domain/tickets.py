"""What people may do with a ticket (``actions.domain.ticket``), and what each step changes.

Every change makes a new version; the store applies it only if the ticket is still at the
version the person saw, so two people clicking at once never both win, and a timer that
fires after the ticket moved on changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, Optional, Tuple

from actions.domain.policy import PRIORITIES
from actions.domain.sessions import customer_of
from actions.domain.ticket import ACTIVE_STATUSES, ASSIGNED, CLOSED, OPEN, Ticket
from handoff.domain.errors import Conflict, Forbidden, InboxError
from handoff.domain.people import User

ACTIVE = ACTIVE_STATUSES

#: How a person ends their part. The bot takes the conversation back for each of them.
OUTCOMES = ("resolved", "continue", "approved", "rejected")
#: Ordering of the queues by urgency of the trigger.
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(PRIORITIES)}


@dataclass(frozen=True)
class Change:
    """A new version of a ticket, and what to write on the audit trail about it."""

    before: Ticket
    after: Ticket
    event: str
    detail: Dict[str, Any] = field(default_factory=dict)


def expect_version(ticket: Ticket, seen: Optional[int]) -> None:
    if seen is None:
        raise InboxError("say which version of the ticket you are acting on ('version')")
    if seen != ticket.version:
        raise Conflict(f"ticket {ticket.ref} changed since you opened it (now {_who_has(ticket)}); reload and look again")


def _who_has(ticket: Ticket) -> str:
    if ticket.status == CLOSED:
        return f"closed, {ticket.outcome or 'no outcome'}"
    return f"with {ticket.assignee}" if ticket.assignee else f"waiting in the {ticket.queue} queue"


def _must_see(ticket: Ticket, user: User) -> None:
    if not user.sees(ticket.queue):
        raise Forbidden(f"ticket {ticket.ref} is in the {ticket.queue} queue, which {user.role.with_article} can't work on")


def _must_be_active(ticket: Ticket) -> None:
    if not ticket.active:
        raise InboxError(f"ticket {ticket.ref} is closed ({ticket.outcome or 'closed'}); nothing more can be done on it")


def _must_hold(ticket: Ticket, user: User, doing: str) -> None:
    _must_be_active(ticket)
    if ticket.assignee != user.username:
        holder = f"{ticket.assignee} has it" if ticket.assignee else "claim it first"
        raise Forbidden(f"only the person who has ticket {ticket.ref} can {doing} ({holder})")


def claim(ticket: Ticket, user: User, now: datetime) -> Change:
    _must_see(ticket, user)
    _must_be_active(ticket)
    if ticket.status == ASSIGNED:
        raise Conflict(f"ticket {ticket.ref} is already with {ticket.assignee}")
    return Change(ticket, ticket._next(status=ASSIGNED, assignee=user.username, claimed_at=now), "ticket_claimed")


def took_call(ticket: Ticket, user: User, now: datetime) -> Optional[Change]:
    """The person who took the customer's call (a warm transfer) has the case from then on: the
    ticket is theirs, from the queue or from whoever had it (who may not take calls); None if it is
    theirs already. The call roster rang only people who may work the ticket's queue."""
    _must_see(ticket, user)
    _must_be_active(ticket)
    if ticket.assignee == user.username:
        return None
    return Change(ticket, ticket._next(status=ASSIGNED, assignee=user.username, claimed_at=now, reminded_for=None),
                  "ticket_taken_by_phone", {"from": ticket.assignee})


def assign(ticket: Ticket, by: User, to: User, now: datetime) -> Change:
    if not by.supervises:
        raise Forbidden("only seniors, managers and admins assign tickets to others; claim it yourself instead")
    _must_see(ticket, by)
    _must_be_active(ticket)
    if not to.sees(ticket.queue):
        raise InboxError(f"{to.name} is {to.role.with_article} and can't work on the {ticket.queue} queue; transfer the ticket first")
    return Change(ticket, ticket._next(status=ASSIGNED, assignee=to.username, claimed_at=now, reminded_for=None),
                  "ticket_assigned", {"to": to.username, "from": ticket.assignee})


def transfer(ticket: Ticket, by: User, queue: str, note: str, now: datetime, queues: Tuple[str, ...]) -> Change:
    _must_see(ticket, by)
    _must_be_active(ticket)
    if ticket.assignee != by.username and not by.supervises:
        raise Forbidden(f"only the person who has ticket {ticket.ref} or a senior can transfer it")
    if queue not in queues:
        raise InboxError(f"there is no {queue!r} queue; choose one of {', '.join(queues)}")
    if queue == ticket.queue and ticket.status == OPEN:
        raise InboxError(f"ticket {ticket.ref} is already waiting in the {queue} queue")
    if not (note or "").strip():
        raise InboxError("say why you transfer it: the next person reads it")
    return Change(ticket, ticket._next(queue=queue, status=OPEN, assignee=None, claimed_at=None, queued_at=now,
                                       reminded_for=None),
                  "ticket_transferred", {"from_queue": ticket.queue, "to_queue": queue, "note": note or None})


def check_reply(ticket: Ticket, user: User, text: str) -> str:
    _must_hold(ticket, user, "reply to the customer")
    text = (text or "").strip()
    if not text:
        raise InboxError("the reply is empty; write something for the customer")
    if len(text) > 4000:
        raise InboxError("the reply is longer than 4000 characters; split it into shorter messages")
    return text


#: The channels a person may pick for one reply; none picked: where the customer is now.
REPLY_CHANNELS = ("webchat", "sms", "whatsapp")


def check_reply_channel(channel: str) -> Optional[str]:
    """The channel a person picked for a reply ("" for where the customer is now)."""
    if not channel:
        return None
    if channel not in REPLY_CHANNELS:
        raise InboxError(f"'channel' must be one of {', '.join(REPLY_CHANNELS)}, or left out for where the "
                         f"customer is now; got {channel!r}")
    return channel


def reachable_by(conversation_id: str, wrote_from: Iterable[str]) -> Tuple[str, ...]:
    """The channels a person may pick for a reply in this conversation (``wrote_from``: the phone
    channels it has written from). A customer on file: the web chat (shown when they open it), SMS
    to the phone on file, and WhatsApp if they have written from it. Anyone else: where they wrote
    from, or the web chat for a visitor who only ever used it."""
    phones = {channel for channel in wrote_from if channel in ("sms", "whatsapp")}
    if customer_of(conversation_id) is not None:
        return tuple(c for c in REPLY_CHANNELS if c in ("webchat", "sms") or c in phones)
    return tuple(c for c in REPLY_CHANNELS if c in phones) if phones else ("webchat",)


def replied(ticket: Ticket, now: datetime) -> Change:
    return Change(ticket, ticket._next(last_agent_at=now, reminded_for=None), "agent_replied")


def check_note(ticket: Ticket, user: User, text: str) -> str:
    _must_see(ticket, user)
    text = (text or "").strip()
    if not text:
        raise InboxError("the note is empty")
    if len(text) > 4000:
        raise InboxError("the note is longer than 4000 characters")
    return text


def hand_back(ticket: Ticket, user: User, outcome: str, note: str, now: datetime) -> Change:
    _must_hold(ticket, user, "hand it back")
    if outcome not in OUTCOMES:
        raise InboxError(f"the outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    note = (note or "").strip()
    if outcome == "rejected" and not note:
        raise InboxError("say why the request is rejected: the customer is told the reason")
    if outcome in ("approved", "rejected") and not ticket.pending_id:
        raise InboxError(f"there is no waiting action on ticket {ticket.ref} to {outcome[:-1]}; use resolved or continue")
    return Change(ticket, ticket._next(status=CLOSED, closed_at=now, outcome=outcome, resolution=note or None),
                  "handed_back", {"outcome": outcome, "note": note or None})


def close(ticket: Ticket, by: User, resolution: str, now: datetime) -> Change:
    _must_see(ticket, by)
    _must_be_active(ticket)
    if ticket.assignee != by.username and not by.supervises:
        raise Forbidden(f"only the person who has ticket {ticket.ref} or a senior can close it")
    resolution = (resolution or "").strip()
    if not resolution:
        raise InboxError("say how the ticket was resolved before closing it")
    return Change(ticket, ticket._next(status=CLOSED, closed_at=now, outcome="closed", resolution=resolution),
                  "ticket_closed", {"resolution": resolution})


def allowed(ticket: Ticket, user: User) -> Dict[str, bool]:
    """What the user may do on the ticket now: the page shows only these buttons."""
    sees, active, mine = user.sees(ticket.queue), ticket.active, ticket.assignee == user.username
    return {
        "claim": sees and ticket.status == OPEN,
        "assign": sees and active and user.supervises,
        "transfer": sees and active and (mine or user.supervises),
        "reply": active and mine,
        "note": sees,
        "handback": active and mine,
        "close": sees and active and (mine or user.supervises),
        "request_approval": active and mine and bool(ticket.pending_id),
    }


def urgency(ticket: Ticket) -> tuple:
    return (PRIORITY_RANK.get(ticket.priority, 9), ticket.queued_at)


@dataclass(frozen=True)
class Message:
    """One line of the conversation after the handoff: the customer, a person, the bot, or a note."""

    id: int
    ticket_id: str
    at: datetime
    kind: str  # customer | agent | bot | note | system
    author: Optional[str]
    text: str
    delivery: Optional[str] = None  # agent replies: pending | delivered | recorded | failed
    error: Optional[str] = None
    channel: Optional[str] = None  # the customer's: where it came from; an agent's: where it was sent

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "kind": self.kind, "author": self.author,
                "text": self.text, "delivery": self.delivery, "error": self.error, "channel": self.channel}
