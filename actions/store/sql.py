"""SQL implementations of the assistant's stores (SQLite or PostgreSQL through SQLAlchemy).

Compare-and-set transitions are single conditional UPDATEs: the database decides which of
two racing workers wins, and the loser sees rowcount 0.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Dict, Optional, Sequence

from sqlalchemy import bindparam, func, insert, or_, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.business import ActionRequest
from actions.domain.pending import AWAITING_CUSTOMER, PendingAction, Stage
from actions.domain.policy import PRIORITIES
from actions.domain.step_up import ChallengeStatus, OtpChallenge
from actions.domain.stores import Draft, Stores
from actions.domain.ticket import ACTIVE_STATUSES, OPEN, WITHDRAWN, Ticket
from actions.store.engines import read_session
from actions.store.links import SqlIdentityLinks
from actions.store.outbound import SqlOutbound
from actions.store.records import (
    approval_of,
    approval_row,
    audit_entry_of,
    audit_row,
    ticket_of,
    ticket_row,
)
from actions.store.ticket_lists import index_if_closed
from actions.store.tables import (
    ApprovalRow,
    AuditRow,
    ChallengeRow,
    DraftRow,
    HandoffRow,
    InboxEventRow,
    PendingRow,
    TicketMessageRow,
    UtcDateTime,
)


#: Every turn's first reads, built once: a statement built per call (its ``IN`` list of literals
#: above all) costs SQLAlchemy more than the query costs SQLite.
_AWAITING_CUSTOMER = (
    select(PendingRow).where(PendingRow.conversation_id == bindparam("conversation_id"))
    .where(PendingRow.stage.in_([stage.value for stage in AWAITING_CUSTOMER]))  # type: ignore[attr-defined]
    .order_by(PendingRow.created_at.desc())  # type: ignore[attr-defined]
)
_STUCK_EXECUTING = (
    select(PendingRow).where(PendingRow.conversation_id == bindparam("conversation_id"))
    .where(PendingRow.stage == Stage.EXECUTING.value)
    .where(PendingRow.claimed_at < bindparam("claimed_before", type_=UtcDateTime()))  # type: ignore[operator]
)
_OPEN_TICKET = (
    select(HandoffRow).where(HandoffRow.conversation_id == bindparam("conversation_id"))
    .where(HandoffRow.status.in_(ACTIVE_STATUSES))  # type: ignore[attr-defined]
    .order_by(HandoffRow.created_at)  # type: ignore[arg-type]
)


_DRAFT = select(DraftRow).where(DraftRow.conversation_id == bindparam("conversation_id"))


class SqlPendingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, pending: PendingAction) -> None:
        with Session(self.engine) as session:
            session.add(PendingRow(
                id=pending.id, conversation_id=pending.conversation_id, customer_id=pending.customer_id,
                kind=pending.request.kind, params_json=json.dumps(dict(pending.request.params), sort_keys=True),
                headline=pending.headline, summary=pending.summary, outcome=pending.outcome, tier=pending.tier,
                reasons_json=json.dumps(list(pending.reasons)), policy_version=pending.policy_version,
                idempotency_key=pending.idempotency_key, digest=pending.digest, stage=pending.stage.value,
                created_at=pending.created_at, expires_at=pending.expires_at, amount_cents=pending.amount_cents,
                unclear_replies=pending.unclear_replies, result_message=pending.result_message,
            ))
            session.commit()

    def get(self, pending_id: str) -> Optional[PendingAction]:
        with read_session(self.engine) as session:
            row = session.get(PendingRow, pending_id)
            return _pending(row) if row else None

    def awaiting_customer(self, conversation_id: str) -> Optional[PendingAction]:
        with read_session(self.engine) as session:
            row = session.exec(_AWAITING_CUSTOMER, params={"conversation_id": conversation_id}).first()
            return _pending(row) if row else None

    def move(self, pending_id: str, from_stages: Sequence[Stage], to: Stage, result_message: Optional[str] = None,
             claimed_at: Optional[datetime] = None) -> bool:
        values: dict = {"stage": to.value}
        if result_message is not None:
            values["result_message"] = result_message
        if claimed_at is not None:
            values["claimed_at"] = claimed_at
        statement = (
            update(PendingRow)
            .where(PendingRow.id == pending_id)
            .where(PendingRow.stage.in_([stage.value for stage in from_stages]))  # type: ignore[attr-defined]
            .values(**values)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def stuck_executing(self, conversation_id: str, claimed_before: datetime) -> Sequence[PendingAction]:
        with read_session(self.engine) as session:
            rows = session.exec(_STUCK_EXECUTING, params={"conversation_id": conversation_id,
                                                          "claimed_before": claimed_before})
            return [_pending(row) for row in rows]

    def finished_since(self, conversation_id: str, since: datetime) -> Optional[PendingAction]:
        with read_session(self.engine) as session:
            row = session.exec(
                select(PendingRow)
                .where(PendingRow.conversation_id == conversation_id)
                .where(PendingRow.stage.in_([Stage.DONE.value, Stage.FAILED.value]))  # type: ignore[attr-defined]
                .where(PendingRow.claimed_at >= since)  # type: ignore[operator]
                .order_by(PendingRow.claimed_at.desc())  # type: ignore[union-attr]
            ).first()
            return _pending(row) if row else None

    def code_prompt_live_since(self, conversation_id: str, since: datetime) -> bool:
        """Whether an action of the conversation asked for a code (a step-up) that was still live at
        ``since`` or later: its expiry is not before it."""
        with read_session(self.engine) as session:
            return session.exec(
                select(PendingRow.id).where(PendingRow.conversation_id == conversation_id)
                .where(PendingRow.outcome == "otp").where(PendingRow.expires_at >= since)  # type: ignore[operator]
            ).first() is not None

    def add_unclear_reply(self, pending_id: str) -> int:
        with self.engine.begin() as connection:
            connection.execute(
                update(PendingRow).where(PendingRow.id == pending_id)
                .values(unclear_replies=PendingRow.unclear_replies + 1)
            )
            return connection.execute(
                select(PendingRow.unclear_replies).where(PendingRow.id == pending_id)
            ).scalar_one()


def _pending(row: PendingRow) -> PendingAction:
    return PendingAction(
        id=row.id, conversation_id=row.conversation_id, customer_id=row.customer_id,
        request=ActionRequest(row.kind, row.customer_id, json.loads(row.params_json)),
        headline=row.headline, summary=row.summary, outcome=row.outcome, tier=row.tier, reasons=tuple(json.loads(row.reasons_json)),
        policy_version=row.policy_version, idempotency_key=row.idempotency_key, digest=row.digest,
        stage=Stage(row.stage), created_at=row.created_at, expires_at=row.expires_at,
        amount_cents=row.amount_cents, unclear_replies=row.unclear_replies, result_message=row.result_message,
        claimed_at=row.claimed_at,
    )


class SqlChallengeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, challenge: OtpChallenge) -> None:
        with Session(self.engine) as session:
            session.add(ChallengeRow(
                id=challenge.id, pending_id=challenge.pending_id, action_digest=challenge.action_digest,
                code_hash=challenge.code_hash, issued_at=challenge.issued_at, expires_at=challenge.expires_at,
                attempts=challenge.attempts, send_number=challenge.send_number, status=challenge.status.value,
            ))
            session.commit()

    def current(self, pending_id: str) -> Optional[OtpChallenge]:
        with read_session(self.engine) as session:
            row = session.exec(
                select(ChallengeRow).where(ChallengeRow.pending_id == pending_id)
                .order_by(ChallengeRow.send_number.desc(), ChallengeRow.issued_at.desc())  # type: ignore[attr-defined]
            ).first()
            if row is None:
                return None
            return OtpChallenge(
                id=row.id, pending_id=row.pending_id, action_digest=row.action_digest, code_hash=row.code_hash,
                issued_at=row.issued_at, expires_at=row.expires_at, attempts=row.attempts,
                send_number=row.send_number, status=ChallengeStatus(row.status),
            )

    def update(self, before: OtpChallenge, after: OtpChallenge) -> bool:
        statement = (
            update(ChallengeRow)
            .where(ChallengeRow.id == before.id)
            .where(ChallengeRow.status == before.status.value)
            .where(ChallengeRow.attempts == before.attempts)
            .values(status=after.status.value, attempts=after.attempts)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1


class SqlDraftStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, conversation_id: str) -> Optional[Draft]:
        with read_session(self.engine) as session:
            row = session.exec(_DRAFT, params={"conversation_id": conversation_id}).first()
            return Draft(row.request, json.loads(row.fields_json), row.missing) if row else None

    def put(self, conversation_id: str, draft: Draft) -> None:
        with Session(self.engine) as session:
            row = session.get(DraftRow, conversation_id) or DraftRow(conversation_id=conversation_id, request="", fields_json="{}", missing="")
            row.request, row.fields_json, row.missing = draft.request, json.dumps(dict(draft.fields)), draft.missing
            session.add(row)
            session.commit()

    def clear(self, conversation_id: str) -> None:
        with Session(self.engine) as session:
            row = session.get(DraftRow, conversation_id)
            if row:
                session.delete(row)
                session.commit()


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, entry: AuditEntry) -> None:
        """One INSERT in its own transaction (written without the ORM's unit of work: every turn
        appends at least one entry)."""
        row = audit_row(entry)
        with self.engine.begin() as connection:
            connection.execute(insert(AuditRow.__table__), {  # type: ignore[attr-defined]
                column.name: getattr(row, column.name) for column in AuditRow.__table__.columns  # type: ignore[attr-defined]
                if column.name != "id"})

    def entries(self, conversation_id: Optional[str] = None) -> Sequence[AuditEntry]:
        with read_session(self.engine) as session:
            query = select(AuditRow).order_by(AuditRow.id)  # type: ignore[arg-type]
            if conversation_id is not None:
                query = query.where(AuditRow.conversation_id == conversation_id)
            return [audit_entry_of(row) for row in session.exec(query)]


#: Held while a transaction writes to the change feed, on PostgreSQL (see ``publish``).
FEED_LOCK = 0x1E_ED_F00D


def publish(session: Session, subject: str, subject_id: str, change: str, at: datetime) -> None:
    """Tell open inbox pages that something changed (in the same transaction as the change).

    The inbox follows the feed by id. PostgreSQL hands out ids at insert and makes them
    visible at commit, so a slower transaction could commit a lower id after the reader has
    moved past it. Writers to the feed therefore take one transaction-scoped lock, which
    makes ids visible in order. SQLite already serialises writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    session.add(InboxEventRow(at=at, subject=subject, subject_id=subject_id, change=change))


class SqlHandoffQueue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, ticket: Ticket) -> None:
        with Session(self.engine) as session:
            session.add(ticket_row(ticket))
            publish(session, "ticket", ticket.id, "created", ticket.created_at)
            session.commit()

    def open_for(self, conversation_id: str) -> Optional[Ticket]:
        with read_session(self.engine) as session:
            row = session.exec(_OPEN_TICKET, params={"conversation_id": conversation_id}).first()
            return ticket_of(row) if row else None

    def take_untold(self, conversation_id: str) -> Optional[Ticket]:
        with Session(self.engine) as session:
            row = session.exec(
                select(HandoffRow).where(HandoffRow.conversation_id == conversation_id)
                .where(HandoffRow.status == "closed").where(HandoffRow.customer_told == False)  # noqa: E712
                .order_by(HandoffRow.closed_at.desc())  # type: ignore[union-attr]
            ).first()
            if row is None:
                return None
            told = session.execute(update(HandoffRow).where(HandoffRow.id == row.id)
                                   .where(HandoffRow.customer_told == False).values(customer_told=True))  # noqa: E712
            session.commit()
            return ticket_of(row) if told.rowcount == 1 else None

    def customer_said(self, ticket_id: str, text: str, at: datetime, channel: Optional[str] = None) -> bool:
        def reply_clock(session: Session) -> None:
            # the reply clock starts at the oldest message nobody has answered yet
            session.execute(
                update(HandoffRow).where(HandoffRow.id == ticket_id)
                .where(or_(HandoffRow.last_customer_at.is_(None), HandoffRow.last_agent_at >= HandoffRow.last_customer_at))  # type: ignore[union-attr]
                .values(last_customer_at=at)
            )

        # a write on the ticket row first: it waits for (and then sees) a hand-back in progress
        return self._change_and_note(ticket_id, [HandoffRow.status.in_(ACTIVE_STATUSES)],  # type: ignore[attr-defined]
                                     {"version": HandoffRow.version}, "customer", text.replace("\x00", ""), at,
                                     "message", then=reply_clock, channel=channel)

    def waiting_ahead(self, ticket: Ticket) -> int:
        with read_session(self.engine) as session:
            return session.exec(
                select(func.count()).select_from(HandoffRow).where(HandoffRow.queue == ticket.queue)
                .where(HandoffRow.status == OPEN).where(HandoffRow.created_at < ticket.created_at)
            ).one()

    def withdraw(self, ticket_id: str, at: datetime) -> bool:
        return self._change_and_note(
            ticket_id, [HandoffRow.status == OPEN],
            {"status": "closed", "outcome": WITHDRAWN, "closed_at": at, "customer_told": True,
             "resolution": "The customer said they no longer need help.", "version": HandoffRow.version + 1},
            "system", "The customer said they no longer need help: closed as withdrawn.", at, "updated",
            then=lambda session: index_if_closed(session, ticket_id))

    def raise_priority(self, ticket_id: str, priority: str, why: str, at: datetime) -> bool:
        less_urgent = list(PRIORITIES[PRIORITIES.index(priority) + 1:])
        return self._change_and_note(
            ticket_id, [HandoffRow.status.in_(ACTIVE_STATUSES), HandoffRow.priority.in_(less_urgent)],  # type: ignore[attr-defined]
            {"priority": priority}, "system", f"Priority raised to {priority}: {why}", at, "updated")

    def _change_and_note(self, ticket_id: str, where: Sequence[Any], values: Dict[str, Any], kind: str, text: str,
                         at: datetime, feed: str, then: Optional[Callable[[Session], None]] = None,
                         channel: Optional[str] = None) -> bool:
        """Change the ticket if it still matches ``where``, with the message that says so on it and
        its feed event, in one transaction; False (and nothing written) if it no longer matched."""
        with Session(self.engine) as session:
            changed = session.execute(
                update(HandoffRow).where(HandoffRow.id == ticket_id, *where).values(**values)
            ).rowcount == 1
            if not changed:
                session.rollback()
                return False
            row = session.get(HandoffRow, ticket_id)
            assert row is not None
            session.add(TicketMessageRow(ticket_id=ticket_id, conversation_id=row.conversation_id, at=at,
                                         kind=kind, text=text, channel=channel))
            if then is not None:
                then(session)
            publish(session, "ticket", ticket_id, feed, at)
            session.commit()
            return True

    def for_customer(self, customer_id: str) -> Sequence[Ticket]:
        with read_session(self.engine) as session:
            rows = session.exec(
                select(HandoffRow).where(HandoffRow.customer_id == customer_id)
                .order_by(HandoffRow.created_at)  # type: ignore[arg-type]
            )
            return [ticket_of(row) for row in rows]


class SqlApprovalQueue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, approval: Approval) -> None:
        with Session(self.engine) as session:
            session.add(approval_row(approval))
            publish(session, "approval", approval.id, "created", approval.requested_at)
            session.commit()

    def for_pending(self, pending_id: str) -> Optional[Approval]:
        with read_session(self.engine) as session:
            row = session.exec(select(ApprovalRow).where(ApprovalRow.pending_id == pending_id)
                               .order_by(ApprovalRow.requested_at.desc())).first()  # type: ignore[attr-defined]
            return approval_of(row) if row else None

    def open_for_customer(self, customer_id: str) -> Sequence[Approval]:
        with read_session(self.engine) as session:
            rows = session.exec(
                select(ApprovalRow).where(ApprovalRow.customer_id == customer_id).where(ApprovalRow.status == "pending")
                .order_by(ApprovalRow.requested_at)  # type: ignore[arg-type]
            )
            return [approval_of(row) for row in rows]

    def take_untold(self, conversation_id: str) -> Sequence[Approval]:
        taken = []
        with Session(self.engine) as session:
            rows = session.exec(
                select(ApprovalRow).where(ApprovalRow.conversation_id == conversation_id)
                .where(ApprovalRow.status != "pending").where(ApprovalRow.customer_told == False)  # noqa: E712
                .order_by(ApprovalRow.decided_at)  # type: ignore[arg-type]
            ).all()
            for row in rows:
                if row.status == "approved" and row.result is None:
                    continue  # still running: told when the result is in
                told = session.execute(update(ApprovalRow).where(ApprovalRow.id == row.id)
                                       .where(ApprovalRow.customer_told == False).values(customer_told=True))  # noqa: E712
                if told.rowcount == 1:
                    taken.append(approval_of(row))
            session.commit()
        return taken


from actions.store.voice import SqlSealedInputs  # noqa: E402 - beside the stores it joins


def sql_stores(engine: Engine) -> Stores:
    return Stores(SqlPendingStore(engine), SqlChallengeStore(engine), SqlDraftStore(engine), SqlAuditLog(engine),
                  SqlHandoffQueue(engine), SqlApprovalQueue(engine), SqlIdentityLinks(engine),
                  SqlOutbound(engine), SqlSealedInputs(engine))
