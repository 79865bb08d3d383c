"""The inbound queue, on SQL (``actions.domain.inbound``).

``accept`` leans on the unique provider id: of two processes storing the same delivery, the
database lets one in. It notes the sender's number in the same transaction and, asked to, takes
the message for the caller there too, on the same condition as ``claim_next``: one conditional
UPDATE that takes the conversation's oldest unfinished message only if that message is still
waiting (not already taken by a process that is alive), so each conversation's turns run one
at a time, in order of arrival, across processes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional, Tuple

from sqlalchemy import and_, func, or_, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.domain.inbound import CLAIM_TIMEOUT, Accepted, InboundMessage, Media
from actions.store.channel_addresses import note_sender
from actions.store.engines import read_session
from actions.store.tables import InboundMessageRow

ACCEPTED, HANDLING, HANDLED, FAILED = "accepted", "handling", "handled", "failed"


class SqlInboundQueue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def accept(self, message: InboundMessage, handled: bool = False, take: bool = False) -> Optional[Accepted]:
        media = [{"url": m.url, "kind": m.kind} for m in message.media]
        row = InboundMessageRow(provider_id=message.provider_id, channel=message.channel, address=message.address,
                                conversation_id=message.conversation_id, text=message.text,
                                media_json=json.dumps(media), received_at=message.received_at)
        if handled:
            row.status, row.handled_at = HANDLED, message.received_at
        with Session(self.engine) as session:
            if take and session.get_bind().dialect.name == "postgresql":
                # one conversation's accepts take turns, so each sees those before it (SQLite's writes do anyway)
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:conversation))"),
                                {"conversation": message.conversation_id})
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                return None
            taken = take and session.execute(
                update(InboundMessageRow).where(InboundMessageRow.id == row.id)
                .where(InboundMessageRow.id == _unfinished(message.conversation_id))
                .values(status=HANDLING, claimed_at=message.received_at)
                .execution_options(synchronize_session=False)  # the row object is not read again
            ).rowcount == 1
            note_sender(session, message.channel, message.address, message.conversation_id, message.received_at)
            message_id = row.id
            session.commit()
        assert message_id is not None
        return Accepted(message_id, taken)

    def claim_next(self, conversation_id: str, now: datetime) -> Optional[InboundMessage]:
        takeable = or_(InboundMessageRow.status == ACCEPTED,
                       and_(InboundMessageRow.status == HANDLING,
                            InboundMessageRow.claimed_at < now - CLAIM_TIMEOUT))  # type: ignore[operator]
        with Session(self.engine) as session:
            head = session.exec(select(InboundMessageRow)
                                .where(InboundMessageRow.id == _unfinished(conversation_id))).first()
            if head is None:
                return None
            taken = session.execute(
                update(InboundMessageRow).where(InboundMessageRow.id == head.id).where(takeable)
                .where(InboundMessageRow.status == head.status)  # type: ignore[arg-type]
                .values(status=HANDLING, claimed_at=now)
            ).rowcount == 1
            session.commit()
            return _message(head) if taken else None

    def done(self, message_id: int, now: datetime, error: Optional[str] = None) -> None:
        forgotten = {} if error else {"text": "", "media_json": "[]"}  # a failed one is kept to look into
        with Session(self.engine) as session:
            session.execute(update(InboundMessageRow).where(InboundMessageRow.id == message_id)
                            .values(status=FAILED if error else HANDLED, handled_at=now, error=error, **forgotten))
            session.commit()

    def still_handling(self, message_id: int, now: datetime) -> None:
        with Session(self.engine) as session:
            session.execute(update(InboundMessageRow).where(InboundMessageRow.id == message_id)
                            .where(InboundMessageRow.status == HANDLING).values(claimed_at=now))
            session.commit()

    def release(self, message_id: int) -> None:
        with Session(self.engine) as session:
            session.execute(update(InboundMessageRow).where(InboundMessageRow.id == message_id)
                            .where(InboundMessageRow.status == HANDLING).values(status=ACCEPTED, claimed_at=None))
            session.commit()

    def waiting_conversations(self, now: datetime) -> Tuple[str, ...]:
        waiting = or_(InboundMessageRow.status == ACCEPTED,
                      and_(InboundMessageRow.status == HANDLING,
                           InboundMessageRow.claimed_at < now - CLAIM_TIMEOUT))  # type: ignore[operator]
        with read_session(self.engine) as session:
            rows = session.exec(select(InboundMessageRow.conversation_id).where(waiting).distinct())
            return tuple(rows)


def _unfinished(conversation_id: str) -> Any:
    """The id of the conversation's oldest message not yet handled: the only one that may be taken."""
    return (select(func.min(InboundMessageRow.id))
            .where(InboundMessageRow.conversation_id == conversation_id)
            .where(InboundMessageRow.status.in_((ACCEPTED, HANDLING)))  # type: ignore[attr-defined]
            .scalar_subquery())


def _message(row: InboundMessageRow) -> InboundMessage:
    media = tuple(Media(str(m["url"]), str(m["kind"])) for m in json.loads(row.media_json))
    return InboundMessage(row.provider_id, row.channel, row.address, row.conversation_id, row.text,
                          row.received_at, media, row.id)
