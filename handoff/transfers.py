"""Warm transfers on SQL (``voice_transfers``, ``voice_transfer_legs``), and their memory twin.

Every move is a compare-and-set on the transfer's version, written in one transaction with the
legs it adds or changes and a feed event on the ticket (``change: "call"``), so open inbox pages
show the call's new state at once and two webhooks about the same call never both act.
"""

from __future__ import annotations

import threading

from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.store.sql import publish
from handoff.domain.transfer_records import Leg, Transfer
from handoff.tables import VoiceTransferLegRow, VoiceTransferRow

#: The feed event a transfer's change makes on its ticket (pages re-read the ticket).
CALL_CHANGED = "call"


class SqlTransfers:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, transfer: Transfer, legs: Sequence[Leg] = ()) -> bool:
        with Session(self.engine) as session:
            session.add(VoiceTransferRow(**_transfer_values(transfer)))
            for leg in legs:
                session.add(VoiceTransferLegRow(**_leg_values(leg)))
            _publish(session, transfer)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    def move(self, before: Transfer, after: Transfer, legs: Sequence[Leg] = ()) -> bool:
        with Session(self.engine) as session:
            values = _transfer_values(after)
            del values["id"]
            moved = session.execute(update(VoiceTransferRow).where(VoiceTransferRow.id == before.id)
                                    .where(VoiceTransferRow.version == before.version).values(**values)).rowcount == 1
            if not moved:
                session.rollback()
                return False
            for leg in legs:
                session.merge(VoiceTransferLegRow(**_leg_values(leg)))
            _publish(session, after)
            session.commit()
            return True

    def transfer(self, transfer_id: str) -> Optional[Transfer]:
        with Session(self.engine) as session:
            row = session.get(VoiceTransferRow, transfer_id)
            return _transfer(row) if row else None

    def for_call(self, call_sid: str) -> Optional[Transfer]:
        return self._latest(VoiceTransferRow.call_sid == call_sid)

    def for_ticket(self, ticket_id: str) -> Optional[Transfer]:
        return self._latest(VoiceTransferRow.ticket_id == ticket_id)

    def legs(self, transfer_id: str) -> Tuple[Leg, ...]:
        with Session(self.engine) as session:
            rows = session.exec(select(VoiceTransferLegRow).where(VoiceTransferLegRow.transfer_id == transfer_id)
                                .order_by(VoiceTransferLegRow.n))  # type: ignore[arg-type]
            return tuple(_leg(row) for row in rows)

    def _latest(self, where: object) -> Optional[Transfer]:
        with Session(self.engine) as session:
            row = session.exec(select(VoiceTransferRow).where(where)  # type: ignore[arg-type]
                               .order_by(VoiceTransferRow.created_at.desc(),  # type: ignore[attr-defined]
                                         VoiceTransferRow.id.desc())).first()  # type: ignore[attr-defined]
            return _transfer(row) if row else None


class MemoryTransfers:
    """The same contract in memory, for tests and the demo; ``events`` are the feed events it made."""

    def __init__(self) -> None:
        self._transfers: Dict[str, Transfer] = {}
        self._legs: Dict[Tuple[str, int], Leg] = {}
        self._lock = threading.Lock()
        self.events: List[Tuple[str, str, str]] = []

    def add(self, transfer: Transfer, legs: Sequence[Leg] = ()) -> bool:
        with self._lock:
            if transfer.id in self._transfers:
                return False
            self._transfers[transfer.id] = transfer
            self._keep(transfer, legs)
            return True

    def move(self, before: Transfer, after: Transfer, legs: Sequence[Leg] = ()) -> bool:
        with self._lock:
            current = self._transfers.get(before.id)
            if current is None or current.version != before.version:
                return False
            self._transfers[before.id] = after
            self._keep(after, legs)
            return True

    def transfer(self, transfer_id: str) -> Optional[Transfer]:
        return self._transfers.get(transfer_id)

    def for_call(self, call_sid: str) -> Optional[Transfer]:
        return _newest(t for t in self._transfers.values() if t.call_sid == call_sid)

    def for_ticket(self, ticket_id: str) -> Optional[Transfer]:
        return _newest(t for t in self._transfers.values() if t.ticket_id == ticket_id)

    def legs(self, transfer_id: str) -> Tuple[Leg, ...]:
        return tuple(leg for (tid, _), leg in sorted(self._legs.items()) if tid == transfer_id)

    def _keep(self, transfer: Transfer, legs: Sequence[Leg]) -> None:
        for leg in legs:
            self._legs[(leg.transfer_id, leg.n)] = leg
        if transfer.ticket_id:
            self.events.append(("ticket", transfer.ticket_id, CALL_CHANGED))


def _newest(transfers: object) -> Optional[Transfer]:
    return max(transfers, key=lambda t: (t.created_at, t.id), default=None)  # type: ignore[call-overload]


def _publish(session: Session, transfer: Transfer) -> None:
    if transfer.ticket_id:
        publish(session, "ticket", transfer.ticket_id, CALL_CHANGED, transfer.updated_at)


def _transfer_values(transfer: Transfer) -> dict:
    return {"id": transfer.id, "call_sid": transfer.call_sid, "conversation_id": transfer.conversation_id,
            "ticket_id": transfer.ticket_id, "room": transfer.room, "state": transfer.state, "leg": transfer.leg,
            "outcome": transfer.outcome, "note": transfer.note, "created_at": transfer.created_at,
            "updated_at": transfer.updated_at, "version": transfer.version}


def _leg_values(leg: Leg) -> dict:
    return {"transfer_id": leg.transfer_id, "n": leg.n, "username": leg.username, "phone": leg.phone,
            "state": leg.state, "call_sid": leg.call_sid, "created_at": leg.created_at, "updated_at": leg.updated_at,
            "answered_at": leg.answered_at, "ended_at": leg.ended_at}


def _transfer(row: VoiceTransferRow) -> Transfer:
    return Transfer(id=row.id, call_sid=row.call_sid, conversation_id=row.conversation_id, ticket_id=row.ticket_id,
                    room=row.room, state=row.state, created_at=row.created_at, updated_at=row.updated_at, leg=row.leg,
                    outcome=row.outcome, note=row.note, version=row.version)


def _leg(row: VoiceTransferLegRow) -> Leg:
    return Leg(transfer_id=row.transfer_id, n=row.n, username=row.username, phone=row.phone, state=row.state,
               created_at=row.created_at, updated_at=row.updated_at, call_sid=row.call_sid,
               answered_at=row.answered_at, ended_at=row.ended_at)


