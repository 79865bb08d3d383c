"""The inbox's persistence on the database it shares with the action server.

Every change is a compare-and-set on the row's version, written in one transaction with its
audit record, its feed event (what open pages hear about) and any delivery it causes, so a
crash never leaves a change without its record or a reply without its delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.closed_search import ClosedQuery, Cursor
from actions.domain.ticket import ACTIVE_STATUSES, CLOSED, Ticket
from actions.store.engines import read_session, reader
from actions.store.records import approval_of, audit_row, ticket_of
from actions.store.sql import publish
from actions.store.ticket_lists import active_list, closed_page, index_if_closed
from actions.store.tables import (
    ApprovalRow,
    HandoffRow,
    InboxEventRow,
    TicketMessageRow,
)
from handoff.domain.approvals import Decision
from handoff.domain.people import Role, User
from handoff.domain.tickets import Change, Message
from handoff.delivery_queue import DeliveryQueue, Outgoing
from handoff.phone_codes import void_for
from handoff.tables import InboxSessionRow, InboxUserRow

_SESSIONS, _USERS = InboxSessionRow.__table__, InboxUserRow.__table__  # type: ignore[attr-defined]
#: A session's person and CSRF token, by the hash of its cookie (``session``).
_SIGNED_IN = (select(_SESSIONS.c.csrf_token, _SESSIONS.c.expires_at, _USERS.c.username, _USERS.c.name, _USERS.c.role)
              .join_from(_SESSIONS, _USERS, _SESSIONS.c.username == _USERS.c.username)
              .where(_SESSIONS.c.token_hash == bindparam("token_hash"), _USERS.c.active == True))  # noqa: E712
#: Who spoke on each of some tickets, in order: (ticket, message id, customer | agent).
_SAID = (select(TicketMessageRow.ticket_id, TicketMessageRow.id, TicketMessageRow.kind)
         .where(TicketMessageRow.ticket_id.in_(bindparam("tickets", expanding=True)))  # type: ignore[attr-defined]
         .where(TicketMessageRow.kind.in_(["customer", "agent"]))  # type: ignore[attr-defined]
         .order_by(TicketMessageRow.id))  # type: ignore[arg-type]
#: Some messages in full, as plain rows.
_MESSAGES = select(TicketMessageRow.__table__).where(  # type: ignore[attr-defined]
    TicketMessageRow.__table__.c.id.in_(bindparam("ids", expanding=True)))  # type: ignore[attr-defined]
_TICKET_FIELDS = ("queue", "status", "assignee", "claimed_at", "queued_at", "last_agent_at", "reminded_for",
                  "overdue_for", "closed_at", "outcome", "resolution")


@dataclass(frozen=True)
class FeedEvent:
    id: int
    subject: str
    subject_id: str
    change: str


class InboxStore(DeliveryQueue):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- tickets --------------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Optional[Ticket]:
        with read_session(self.engine) as session:
            row = session.get(HandoffRow, ticket_id)
            return ticket_of(row) if row else None

    def tickets(self, active: bool, queues: Iterable[str], limit: int = 200) -> List[Ticket]:
        """The active tickets in ``queues``, the longest waiting first; or the newest closed ones."""
        if not active:
            return self.closed_tickets(queues, ClosedQuery(limit=limit))[0]
        with read_session(self.engine) as session:
            return [ticket_of(row) for row in active_list(session, queues, limit)]

    def closed_tickets(self, queues: Iterable[str], query: ClosedQuery) -> Tuple[List[Ticket], Optional[Cursor]]:
        """A page of the closed tickets in ``queues`` that match ``query``, and where the next page starts."""
        with read_session(self.engine) as session:
            rows, after = closed_page(session, queues, query)
            return [ticket_of(row) for row in rows], after

    def active_tickets(self) -> List[Ticket]:
        with read_session(self.engine) as session:
            rows = session.exec(select(HandoffRow).where(HandoffRow.status.in_(list(ACTIVE_STATUSES))))  # type: ignore[attr-defined]
            return [ticket_of(row) for row in rows]

    def apply(self, change: Change, audit: AuditEntry, *, message: Optional[Tuple[str, Optional[str], str]] = None,
              outgoing: Sequence[Outgoing] = (), feed: str = "updated") -> bool:
        """Store ``change`` if the ticket is still at ``change.before.version``; True if this call did it.

        Only the columns the change touches are written, so a customer message arriving at the
        same moment (which moves its own column) is never overwritten.
        """
        before, after = change.before, change.after
        values = {name: getattr(after, name) for name in _TICKET_FIELDS if getattr(after, name) != getattr(before, name)}
        values["version"] = after.version
        with Session(self.engine) as session:
            done = session.execute(
                update(HandoffRow).where(HandoffRow.id == before.id).where(HandoffRow.version == before.version)
                .values(**values)
            ).rowcount == 1
            if not done:
                session.rollback()
                return False
            message_id = None
            if message:
                kind, author, text = message
                channel = next((item.channel for item in outgoing if item.kind == "say"), None)
                message_id = self._add_message(session, after, kind, author, text, audit.at,
                                               delivery="pending" if kind == "agent" else None, channel=channel)
            for item in outgoing:
                self._enqueue(session, after.conversation_id, item, audit.at, message_id if item.kind == "say" else None)
            session.add(audit_row(audit))
            publish(session, "ticket", after.id, feed, audit.at)
            if after.status == CLOSED:
                index_if_closed(session, after.id)
            session.commit()
            return True

    def add_note(self, ticket: Ticket, kind: str, author: Optional[str], text: str, audit: AuditEntry) -> int:
        """A message that changes nothing else on the ticket: an internal note, a timer's reminder."""
        with Session(self.engine) as session:
            message_id = self._add_message(session, ticket, kind, author, text, audit.at)
            index_if_closed(session, ticket.id)  # a note on a closed ticket can be searched for too
            session.add(audit_row(audit))
            publish(session, "ticket", ticket.id, "message", audit.at)
            session.commit()
            return message_id

    def messages(self, ticket_id: str) -> List[Message]:
        with read_session(self.engine) as session:
            rows = session.exec(select(TicketMessageRow).where(TicketMessageRow.ticket_id == ticket_id)
                                .order_by(TicketMessageRow.id))  # type: ignore[arg-type]
            return [_message(row) for row in rows]

    def message(self, message_id: int) -> Optional[Message]:
        with read_session(self.engine) as session:
            row = session.get(TicketMessageRow, message_id)
            return _message(row) if row else None

    def unanswered(self, ticket_ids: Sequence[str]) -> Dict[str, Tuple[int, Optional[Message]]]:
        """Per ticket: customer messages since the last agent reply, and the latest customer message.

        A list page asks this of up to 200 tickets: their messages are read as three plain columns,
        and only each ticket's latest customer message in full (building every message as an ORM
        object cost the queue list half its time)."""
        if not ticket_ids:
            return {}
        counts: Dict[str, int] = {}
        latest: Dict[str, int] = {}
        with read_session(self.engine) as session:
            for ticket_id, message_id, kind in session.execute(_SAID, {"tickets": list(ticket_ids)}):
                if kind == "agent":
                    counts[ticket_id] = 0
                else:
                    counts[ticket_id] = counts.get(ticket_id, 0) + 1
                    latest[ticket_id] = message_id
            messages = {row.id: _message(row) for row in session.execute(_MESSAGES, {"ids": list(latest.values())})}
        return {ticket_id: (count, messages.get(latest[ticket_id]) if ticket_id in latest else None)
                for ticket_id, count in counts.items()}

    def handled_by(self, conversation_id: str) -> Set[str]:
        """Everyone who had or answered this customer's conversation: they can't also approve for it."""
        with read_session(self.engine) as session:
            assignees = session.exec(select(HandoffRow.assignee).where(HandoffRow.conversation_id == conversation_id))
            authors = session.exec(select(TicketMessageRow.author).where(TicketMessageRow.conversation_id == conversation_id)
                                   .where(TicketMessageRow.kind == "agent"))
            return {name for name in list(assignees) + list(authors) if name}

    def approved_without_result(self, before: datetime) -> List[Approval]:
        """Approved before ``before`` but never run to a result: a crash between the two."""
        with read_session(self.engine) as session:
            rows = session.exec(select(ApprovalRow).where(ApprovalRow.status == "approved")
                                .where(ApprovalRow.result.is_(None))  # type: ignore[union-attr]
                                .where(ApprovalRow.decided_at < before))  # type: ignore[operator]
            return [approval_of(row) for row in rows]

    def approved_handbacks_untold(self, before: datetime) -> List[Ticket]:
        """Handed back as approved before ``before`` and the customer never told."""
        with read_session(self.engine) as session:
            rows = session.exec(select(HandoffRow).where(HandoffRow.status == CLOSED)
                                .where(HandoffRow.outcome == "approved")
                                .where(HandoffRow.customer_told == False)  # noqa: E712
                                .where(HandoffRow.closed_at < before))  # type: ignore[operator]
            return [ticket_of(row) for row in rows]

    def latest_ticket(self, conversation_id: str) -> Optional[Ticket]:
        with read_session(self.engine) as session:
            row = session.exec(select(HandoffRow).where(HandoffRow.conversation_id == conversation_id)
                               .order_by(HandoffRow.created_at.desc())).first()  # type: ignore[attr-defined]
            return ticket_of(row) if row else None

    # -- approvals ------------------------------------------------------------------------------

    def approval(self, approval_id: str) -> Optional[Approval]:
        with read_session(self.engine) as session:
            row = session.get(ApprovalRow, approval_id)
            return approval_of(row) if row else None

    def approvals(self, pending: bool, limit: int = 200) -> List[Approval]:
        with read_session(self.engine) as session:
            query = select(ApprovalRow)
            if pending:
                query = query.where(ApprovalRow.status == "pending").order_by(ApprovalRow.requested_at)  # type: ignore[arg-type]
            else:
                query = query.where(ApprovalRow.status != "pending").order_by(ApprovalRow.decided_at.desc())  # type: ignore[union-attr]
            return [approval_of(row) for row in session.exec(query.limit(limit))]

    def approvals_of_customer(self, customer_id: str) -> List[Approval]:
        """Every request of one customer, oldest first: what was asked and decided before."""
        with read_session(self.engine) as session:
            query = select(ApprovalRow).where(ApprovalRow.customer_id == customer_id).order_by(ApprovalRow.requested_at)  # type: ignore[arg-type]
            return [approval_of(row) for row in session.exec(query)]

    def decide(self, decision: Decision, audit: AuditEntry, outgoing: Sequence[Outgoing] = ()) -> bool:
        """Store the decision if the request is still at the version decided on; True if this call did it."""
        before, after = decision.before, decision.after
        with Session(self.engine) as session:
            done = session.execute(
                update(ApprovalRow).where(ApprovalRow.id == before.id).where(ApprovalRow.version == before.version)
                .values(status=after.status, version=after.version, approvers_json=json.dumps(list(after.approvers)),
                        decided_by=after.decided_by, decided_at=after.decided_at, decision_reason=after.decision_reason,
                        new_amount_cents=after.new_amount_cents, escalated=after.escalated, queue=after.queue)
            ).rowcount == 1
            if not done:
                session.rollback()
                return False
            for item in outgoing:
                self._enqueue(session, after.conversation_id, item, audit.at, None)
            void_for(session, after)  # a code texted for it no longer decides it
            session.add(audit_row(audit))
            publish(session, "approval", after.id, "updated", audit.at)
            session.commit()
            return True

    def record_result(self, approval_id: str, result: str, outgoing: Sequence[Outgoing], at: datetime) -> None:
        with Session(self.engine) as session:
            row = session.get(ApprovalRow, approval_id)
            assert row is not None
            session.execute(update(ApprovalRow).where(ApprovalRow.id == approval_id).values(result=result))
            for item in outgoing:
                self._enqueue(session, row.conversation_id, item, at, None)
            publish(session, "approval", approval_id, "updated", at)
            session.commit()

    # -- people and sessions --------------------------------------------------------------------

    def add_user(self, user: User, password_hash: str, at: datetime) -> bool:
        with Session(self.engine) as session:
            if session.get(InboxUserRow, user.username):
                return False
            session.add(InboxUserRow(username=user.username, name=user.name, role=user.role.value,
                                     password_hash=password_hash, created_at=at))
            session.commit()
            return True

    def user(self, username: str) -> Optional[Tuple[User, str]]:
        with read_session(self.engine) as session:
            row = session.get(InboxUserRow, username)
            if row is None or not row.active:
                return None
            return User(row.username, row.name, Role(row.role)), row.password_hash

    def user_by_phone(self, phone: str) -> Optional[User]:
        """The active person whose profile has this phone number (E.164), if any."""
        with read_session(self.engine) as session:
            row = session.exec(select(InboxUserRow).where(InboxUserRow.phone == phone)
                               .where(InboxUserRow.active == True)).first()  # noqa: E712 - SQL, not Python
            return User(row.username, row.name, Role(row.role)) if row is not None else None

    def users(self) -> List[User]:
        with read_session(self.engine) as session:
            rows = session.exec(select(InboxUserRow).where(InboxUserRow.active == True)  # noqa: E712
                                .order_by(InboxUserRow.username))  # type: ignore[arg-type]
            return [User(row.username, row.name, Role(row.role)) for row in rows]

    def open_session(self, token_hash: str, username: str, csrf: str, at: datetime, expires_at: datetime) -> None:
        with Session(self.engine) as session:
            session.add(InboxSessionRow(token_hash=token_hash, username=username, csrf_token=csrf,
                                        created_at=at, expires_at=expires_at))
            session.commit()

    def session(self, token_hash: str, now: datetime) -> Optional[Tuple[User, str]]:
        """The signed-in user and their CSRF token, if the session exists, has not expired and its person
        is still active. Every request asks, so it is one prebuilt read on a plain connection."""
        with reader(self.engine).connect() as connection:
            row = connection.execute(_SIGNED_IN, {"token_hash": token_hash}).first()
        if row is None or row.expires_at <= now:
            return None
        return User(row.username, row.name, Role(row.role)), row.csrf_token

    def close_session(self, token_hash: str) -> None:
        with Session(self.engine) as session:
            row = session.get(InboxSessionRow, token_hash)
            if row:
                session.delete(row)
                session.commit()

    def set_active(self, username: str, active: bool) -> bool:
        """Let a person sign in again, or stop them (their rows stay); False if there is no such person."""
        with Session(self.engine) as session:
            found = session.execute(update(InboxUserRow).where(InboxUserRow.username == username)
                                    .values(active=active)).rowcount == 1
            session.commit()
            return found

    def close_sessions_of(self, username: str) -> int:
        """End every session of ``username``; how many there were."""
        with Session(self.engine) as session:
            closed = session.execute(delete(InboxSessionRow).where(InboxSessionRow.username == username)).rowcount
            session.commit()
            return closed

    # -- the feed -------------------------------------------------------------------------------

    def touch(self, subject: str, subject_id: str, at: datetime) -> None:
        """Put a 'look again' on the feed without changing anything (a stale timer uses it)."""
        with Session(self.engine) as session:
            publish(session, subject, subject_id, "updated", at)
            session.commit()

    def last_event_id(self) -> int:
        with read_session(self.engine) as session:
            return session.exec(select(func.max(InboxEventRow.id))).one() or 0  # type: ignore[arg-type]

    def events_after(self, last_id: int, limit: int = 500) -> List[FeedEvent]:
        with read_session(self.engine) as session:
            rows = session.exec(select(InboxEventRow).where(InboxEventRow.id > last_id)
                                .order_by(InboxEventRow.id).limit(limit))  # type: ignore[arg-type]
            return [FeedEvent(row.id, row.subject, row.subject_id, row.change) for row in rows]  # type: ignore[arg-type]

    def _add_message(self, session: Session, ticket: Ticket, kind: str, author: Optional[str], text: str,
                     at: datetime, delivery: Optional[str] = None, channel: Optional[str] = None) -> int:
        row = TicketMessageRow(ticket_id=ticket.id, conversation_id=ticket.conversation_id, at=at, kind=kind,
                               author=author, text=text, delivery=delivery, channel=channel)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def _message(row: Any) -> Message:
    """A message of a ticket, from its ORM row or a plain row alike."""
    assert row.id is not None
    return Message(row.id, row.ticket_id, row.at, row.kind, row.author, row.text, row.delivery, row.error, row.channel)
