"""The queue of what goes out to customers outside a reply: written with the change that causes it,
taken by the delivery worker (``handoff.delivery``) in order per conversation and channel.

Part of ``InboxStore``: a ticket change and the reply it sends are one transaction.

A provider that reports on messages later (Twilio's status callbacks) finds the delivery by
the id it gave the message (``provider_id``) and moves it forward (``provider_reported``);
the agent's page hears of it through the feed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Collection, Dict, List, Optional, Set, Tuple

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.outbound import CodeText
from actions.domain.sessions import staff_of
from actions.store.engines import read_session
from actions.store.sql import publish
from actions.domain.step_up import ChallengeStatus
from actions.store.tables import ChallengeRow, DeliveryMessageRow, DeliveryRow, TicketMessageRow
from handoff.domain.deliveries import (DELIVERED, FAILED, PENDING, READ, REPORTED, SEEN, SENT, TWILIO_STATUSES,
                                      provider_failure)
from handoff.phone_codes import code_wanted as approval_code_wanted
from handoff.phone_proofs import proof_code_wanted
from handoff.tables import InboxUserRow

#: The payload's key for how far a delivery got (``delivery_progress``); a retry starts afresh.
PROGRESS = "progress"
#: A Twilio Message SID: what a message reported on is looked up by.
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")


def _kept(session: Session, part: DeliveryMessageRow, state: str, error: Optional[str]) -> bool:
    """Keep a report on a message of a delivery still being sent, forward only (as if it were ``sent``)."""
    if (part.reported or SENT) not in REPORTED[state]:
        return False
    part.reported, part.error = state, error
    session.add(part)
    session.commit()
    return True


def _reported_meanwhile(session: Session, delivery_id: int, error: Optional[str]) -> Tuple[str, Optional[str]]:
    """A delivery that just left, as its provider reported on it while it was being sent: failed if
    any of its messages failed, else as its last message stands (``sent`` when nothing came)."""
    row = session.get(DeliveryRow, delivery_id)
    if row is None:
        return SENT, error
    progress = json.loads(row.payload_json).get(PROGRESS) or {}
    current = set(progress.get("sent") or []) | {row.provider_id}  # not those of a try before a resend
    reports = [part for part in session.exec(select(DeliveryMessageRow)
                                             .where(DeliveryMessageRow.delivery_id == delivery_id)
                                             .where(DeliveryMessageRow.reported.is_not(None)))  # type: ignore[union-attr]
               if part.provider_id in current]
    failed = next((part for part in reports if part.reported == FAILED), None)
    if failed is not None:
        return FAILED, failed.error
    last = next((part.reported for part in reports if part.provider_id == row.provider_id), None)
    return last or SENT, error


@dataclass(frozen=True)
class Delivery:
    id: int
    conversation_id: str
    kind: str  # say | status | trigger | code
    payload: Dict[str, Any]
    message_id: Optional[int]
    attempts: int
    channel: Optional[str] = None  # the channel it must go by; None: where the customer is now


@dataclass(frozen=True)
class Outgoing:
    """A delivery to queue with a change: an agent's words, or an event for the bot."""

    kind: str  # say | status | trigger
    payload: Dict[str, Any]
    channel: Optional[str] = None  # the channel it must go by (an agent chose one); None: where the customer is now


def _heads() -> Any:
    """The oldest pending delivery of each conversation on each channel: only it may go next."""
    return (select(func.min(DeliveryRow.id)).where(DeliveryRow.status == "pending")
            .group_by(DeliveryRow.conversation_id, DeliveryRow.channel))


class DeliveryQueue:
    """The deliveries table's reads and writes; ``InboxStore`` is one, on its engine."""

    engine: Engine

    def delivery_waiting(self, conversation_id: str) -> bool:
        """Something for the conversation itself (not a code bound for a phone) is still to go out."""
        with read_session(self.engine) as session:
            return session.exec(select(DeliveryRow.id).where(DeliveryRow.conversation_id == conversation_id)
                                .where(DeliveryRow.channel.is_(None))  # type: ignore[union-attr]
                                .where(DeliveryRow.status == "pending")).first() is not None

    def _enqueue(self, session: Session, conversation_id: str, item: Outgoing, at: datetime,
                 message_id: Optional[int]) -> None:
        session.add(DeliveryRow(conversation_id=conversation_id, kind=item.kind, channel=item.channel,
                                payload_json=json.dumps(item.payload), message_id=message_id, created_at=at,
                                next_try_at=at))

    def enqueue(self, conversation_id: str, item: Outgoing, at: datetime) -> None:
        with Session(self.engine) as session:
            self._enqueue(session, conversation_id, item, at, None)
            session.commit()

    def enqueue_taken(self, conversation_id: str, item: Outgoing, at: datetime, lease: timedelta) -> Optional[Delivery]:
        """Queue ``item`` already taken for ``lease`` by the caller, who sends it at once, if nothing of the
        conversation waits before it on its channel; else queue it for the worker (None), behind what waits.

        The row goes in claimed, so no worker takes it meanwhile; it is written with a plain INSERT, which
        wakes no worker (there is nothing for one to do), and the release of one that must wait does.
        """
        with Session(self.engine) as session:
            delivery_id = session.execute(insert(DeliveryRow).values(
                conversation_id=conversation_id, kind=item.kind, channel=item.channel,
                payload_json=json.dumps(item.payload), created_at=at, next_try_at=at + lease)).inserted_primary_key[0]
            head = session.exec(select(func.min(DeliveryRow.id)).where(DeliveryRow.conversation_id == conversation_id)
                                .where(DeliveryRow.channel == item.channel)  # type: ignore[arg-type]
                                .where(DeliveryRow.status == "pending")).one()
            if head != delivery_id:
                session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(next_try_at=at))
            session.commit()
        if head != delivery_id:
            return None
        return Delivery(delivery_id, conversation_id, item.kind, item.payload, None, 0, item.channel)

    def due_deliveries(self, now: datetime, limit: int = 50) -> List[Delivery]:
        """Pending deliveries whose time has come, oldest first; one conversation's stay in order.

        Only the oldest pending delivery of each conversation on each channel is a candidate (a
        later message must not overtake one waiting to be retried), so a conversation with a
        backlog never fills the round and holds up the others, and a code texted by SMS does not
        wait behind an agent's reply the web chat is retrying.
        """
        with read_session(self.engine) as session:
            rows = list(session.exec(select(DeliveryRow).where(DeliveryRow.id.in_(_heads()))  # type: ignore[union-attr]
                                     .order_by(DeliveryRow.id)))  # type: ignore[arg-type]
        due = [Delivery(row.id, row.conversation_id, row.kind, json.loads(row.payload_json), row.message_id, row.attempts,
                        row.channel) for row in rows if row.next_try_at <= now]
        return due[:limit]

    def next_try_at(self) -> Optional[datetime]:
        """When the soonest pending delivery that may go next (its conversation's oldest) is due; None: none waits."""
        with read_session(self.engine) as session:
            return session.exec(select(func.min(DeliveryRow.next_try_at))
                                .where(DeliveryRow.id.in_(_heads()))).one()  # type: ignore[union-attr]

    def claim_due_deliveries(self, now: datetime, lease: timedelta, limit: int = 50) -> List[Delivery]:
        """The due deliveries this worker may send, each claimed for ``lease``: several inbox
        processes run a worker each, and a delivery must go out once.

        The claim is a compare-and-set that moves the delivery's next try past the lease, so another
        worker no longer finds it due (PostgreSQL re-checks the condition after the first claim
        commits; SQLite's writes take turns). The attempt's outcome (``delivery_done``) sets the next
        try again; a worker that dies while sending leaves it to be tried once the lease is over.
        """
        claimed: List[Delivery] = []
        with Session(self.engine) as session:
            for delivery in self.due_deliveries(now, limit):
                taken = session.execute(
                    update(DeliveryRow).where(DeliveryRow.id == delivery.id).where(DeliveryRow.status == "pending")
                    .where(DeliveryRow.next_try_at <= now).values(next_try_at=now + lease)  # type: ignore[arg-type]
                ).rowcount == 1
                session.commit()
                if taken:
                    claimed.append(delivery)
        return claimed

    def delivery_done(self, delivery: Delivery, status: str, error: Optional[str], at: datetime,
                      retry_at: Optional[datetime] = None, *, provider_id: Optional[str] = None,
                      payload: Optional[Dict[str, Any]] = None, then: Optional[Outgoing] = None,
                      channel: Optional[str] = None) -> None:
        """Record one attempt: delivered, recorded, failed for good, or pending again at ``retry_at``.

        ``provider_id`` is the channel's id for what it took; ``payload`` replaces what is kept of
        the message (a code's text is not kept once it left); ``then`` is queued with it, in the
        same transaction (the bot's word that a code could not be sent); ``channel``: the one a
        person's words went by, shown beside them on the ticket.
        """
        changes: Dict[str, Any] = {"status": "pending" if retry_at else status, "attempts": delivery.attempts + 1,
                                   "error": error, "next_try_at": retry_at or at}
        if provider_id is not None:
            changes["provider_id"] = provider_id
        if payload is not None:
            changes["payload_json"] = json.dumps(payload)
        with Session(self.engine) as session:
            if status == SENT and retry_at is None:  # what the provider reported while it was being sent
                status, error = _reported_meanwhile(session, delivery.id, error)
                changes.update(status=status, error=error)
            recorded = session.execute(
                update(DeliveryRow).where(DeliveryRow.id == delivery.id)
                .where(DeliveryRow.status.notin_((DELIVERED, READ)))  # a page's acknowledgement that came first is kept
                .values(**changes)
            ).rowcount == 1
            if not recorded:
                session.rollback()
                return
            if then is not None:
                self._enqueue(session, delivery.conversation_id, then, at, None)
            if delivery.message_id is not None:
                message = session.get(TicketMessageRow, delivery.message_id)
                if message is not None:
                    went = {"channel": channel} if channel and not retry_at else {}
                    session.execute(update(TicketMessageRow).where(TicketMessageRow.id == delivery.message_id)
                                    .values(delivery="pending" if retry_at else status, error=error, **went))
                    publish(session, "ticket", message.ticket_id, "message", at)
            session.commit()

    def delivery_seen(self, delivery_id: int, conversation_id: str, at: datetime, state: str = DELIVERED) -> bool:
        """The customer's screen showed a reply (``delivered``), or showed it in view (``read``).

        Only a delivery of that conversation the page itself shows (a reply or a status line, not
        a code bound for a phone), and only forward: a page can't mark another customer's replies,
        and a repeated or late acknowledgement changes nothing.
        """
        with Session(self.engine) as session:
            row = session.get(DeliveryRow, delivery_id)
            # a page may acknowledge before the worker has recorded the channel's answer (``pending``)
            if row is None or row.conversation_id != conversation_id or row.status not in SEEN[state] \
                    or row.channel is not None or row.kind not in ("say", "status"):
                return False
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(status=state))
            if row.message_id is not None:
                message = session.get(TicketMessageRow, row.message_id)
                if message is not None:
                    session.execute(update(TicketMessageRow).where(TicketMessageRow.id == row.message_id)
                                    .values(delivery=state))
                    publish(session, "ticket", message.ticket_id, "message", at)
            session.commit()
            return True

    def delivery_progress(self, delivery_id: int, payload: Dict[str, Any], provider_id: Optional[str]) -> None:
        """Keep how far a delivery got while it is still being sent: the messages a long text
        became that already left (``payload``; ``provider_id``: the latest, also kept among the
        delivery's messages), so a retry after a crash or a failure goes on from there and sends
        none of them twice."""
        changes: Dict[str, Any] = {"payload_json": json.dumps(payload)}
        if provider_id is not None:
            changes["provider_id"] = provider_id
        with Session(self.engine) as session:
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**changes))
            if provider_id is not None and session.get(DeliveryMessageRow, provider_id) is None:
                session.add(DeliveryMessageRow(provider_id=provider_id, delivery_id=delivery_id))
            session.commit()

    def known_provider_ids(self, provider_ids: Collection[str]) -> Set[str]:
        """Those of ``provider_ids`` some delivery already stands for: any message of a long text,
        not only its latest (two lookups by an index, however many deliveries there are)."""
        wanted = list(provider_ids)
        with read_session(self.engine) as session:
            latest = session.exec(select(DeliveryRow.provider_id)
                                  .where(DeliveryRow.provider_id.in_(wanted)))  # type: ignore[union-attr]
            parts = session.exec(select(DeliveryMessageRow.provider_id)
                                 .where(DeliveryMessageRow.provider_id.in_(wanted)))  # type: ignore[attr-defined]
            return {sid for sid in [*latest, *parts] if sid is not None}

    def provider_reported(self, provider_id: str, provider_status: str, error_code: Optional[int], at: datetime,
                          error_message: Optional[str] = None) -> bool:
        """Twilio reports where a message stands (its status callback: MessageSid, MessageStatus, ErrorCode).

        The delivery it belongs to moves forward only (sent -> delivered -> read, or failed with
        Twilio's error), never back, and its ticket message with it, the agent's page told through
        the feed. A long text went as several messages: the last one speaks for the delivery, and
        any one that failed fails it. A report that comes while the delivery is still being sent
        (its later messages) is kept with its message, and counts when the worker records the
        outcome. False when nothing changed (an unknown message or status, a report that came
        late or twice).
        """
        state = TWILIO_STATUSES.get(provider_status)
        if state not in REPORTED or not MESSAGE_SID.match(provider_id):
            return False
        with Session(self.engine) as session:
            part = session.get(DeliveryMessageRow, provider_id)
            row = session.exec(select(DeliveryRow).where(DeliveryRow.provider_id == provider_id)).first()
            if row is None and part is not None and state == FAILED:  # an earlier message of a long text
                row = session.get(DeliveryRow, part.delivery_id)
            if row is None:
                return False
            error = provider_failure(provider_status, error_code, error_message) if state == FAILED else None
            if row.status == PENDING:
                return part is not None and _kept(session, part, state, error)
            changes: Dict[str, Any] = {"status": state} if error is None else {"status": state, "error": error}
            moved = session.execute(update(DeliveryRow).where(DeliveryRow.id == row.id)
                                    .where(DeliveryRow.status.in_(REPORTED[state]))  # type: ignore[attr-defined]
                                    .values(**changes)).rowcount == 1
            if not moved:
                session.rollback()
                return False
            if row.message_id is not None:
                message = session.get(TicketMessageRow, row.message_id)
                if message is not None:
                    session.execute(update(TicketMessageRow).where(TicketMessageRow.id == row.message_id)
                                    .values(delivery=state, error=error))
                    publish(session, "ticket", message.ticket_id, "message", at)
            session.commit()
            return True

    def retry_message(self, message_id: int, at: datetime) -> bool:
        """Send a failed reply again, from its first message; False if it is not a failed reply."""
        with Session(self.engine) as session:
            row = session.exec(select(DeliveryRow).where(DeliveryRow.message_id == message_id)).first()
            payload = {k: v for k, v in json.loads(row.payload_json).items() if k != PROGRESS} if row else {}
            done = row is not None and session.execute(
                update(DeliveryRow).where(DeliveryRow.id == row.id).where(DeliveryRow.status == "failed")
                .values(status="pending", next_try_at=at, error=None, provider_id=None,
                        payload_json=json.dumps(payload))).rowcount == 1
            if done:
                session.execute(update(TicketMessageRow).where(TicketMessageRow.id == message_id)
                                .values(delivery="pending", error=None))
                message = session.get(TicketMessageRow, message_id)
                assert message is not None
                publish(session, "ticket", message.ticket_id, "message", at)
            session.commit()
            return done

    def code_wanted(self, code: CodeText) -> bool:
        """Whether a queued code still confirms something: its challenge is active (not replaced by a
        newer code, used, locked or voided); for a person of the inbox, their approval code is, or the
        code proving the number they asked for."""
        with read_session(self.engine) as session:
            if staff_of(code.conversation_id) is not None:
                return approval_code_wanted(session, code.challenge_id) or proof_code_wanted(session, code.challenge_id)
            row = session.get(ChallengeRow, code.challenge_id)
            return row is not None and row.status == ChallengeStatus.ACTIVE.value

    def person_phone(self, username: str) -> Optional[str]:
        """The phone on the profile of an active person of the inbox (E.164), if any: their texts go there."""
        with read_session(self.engine) as session:
            row = session.get(InboxUserRow, username)
            return row.phone if row is not None and row.active else None
