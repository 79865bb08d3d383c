"""Phone calls and sealed codes, on SQL (``actions.domain.voice_calls``, ``actions.domain.sealed``).

A turn is claimed by inserting its row: the primary key lets one delivery of a webhook in,
so a duplicate waits for the first one's answer instead of running the turn again. A sealed
code is deleted by the statement that reads it, so two readers can't both have it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import List, Optional, Sequence

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.domain.sealed import SEALED_FOR
from actions.domain.voice_calls import ENDED, VoiceCall
from actions.store.tables import SealedInputRow, VoiceCallRow, VoiceSpeechRow, VoiceTurnRow


def _call(row: VoiceCallRow) -> VoiceCall:
    return VoiceCall(row.call_sid, row.conversation_id, row.caller, row.started_at, row.status, row.turn, row.misses,
                     row.expecting, row.stage, row.ended_at)


class SqlVoiceCalls:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self, call: VoiceCall) -> bool:
        with Session(self.engine) as session:
            session.add(VoiceCallRow(**{k: getattr(call, k) for k in VoiceCallRow.__fields__}))
            try:
                session.commit()
            except IntegrityError:
                return False
            return True

    def get(self, call_sid: str) -> Optional[VoiceCall]:
        with Session(self.engine) as session:
            row = session.get(VoiceCallRow, call_sid)
            return _call(row) if row else None

    def live_for(self, conversation_id: str) -> Optional[VoiceCall]:
        with Session(self.engine) as session:
            row = session.exec(select(VoiceCallRow).where(VoiceCallRow.conversation_id == conversation_id)
                               .where(VoiceCallRow.stage != ENDED)
                               .order_by(VoiceCallRow.started_at.desc())).first()  # type: ignore[attr-defined]
            return _call(row) if row else None

    def begin_turn(self, call_sid: str, turn: int, at: datetime, heard: Optional[str] = None) -> bool:
        with Session(self.engine) as session:
            session.add(VoiceTurnRow(call_sid=call_sid, turn=turn, claimed_at=at, heard=heard))
            try:
                session.commit()
            except IntegrityError:
                return False
            return True

    def heard(self, call_sid: str) -> Sequence[str]:
        with Session(self.engine) as session:
            rows = session.exec(select(VoiceTurnRow.heard).where(VoiceTurnRow.call_sid == call_sid)
                                .where(VoiceTurnRow.heard != None)  # noqa: E711 - SQL IS NOT NULL
                                .order_by(VoiceTurnRow.turn)).all()
            return [str(heard) for heard in rows]

    def expect(self, call_sid: str, expecting: Optional[str]) -> None:
        with Session(self.engine) as session:
            session.execute(update(VoiceCallRow).where(VoiceCallRow.call_sid == call_sid).values(expecting=expecting))
            session.commit()

    def answer_of(self, call_sid: str, turn: int) -> Optional[str]:
        with Session(self.engine) as session:
            row = session.get(VoiceTurnRow, (call_sid, turn))
            return row.twiml if row else None

    def finish_turn(self, call_sid: str, turn: int, twiml: str, *, misses: int, expecting: Optional[str]) -> None:
        with Session(self.engine) as session:
            session.execute(update(VoiceTurnRow).where(VoiceTurnRow.call_sid == call_sid)
                            .where(VoiceTurnRow.turn == turn).values(twiml=twiml))
            session.execute(update(VoiceCallRow).where(VoiceCallRow.call_sid == call_sid)
                            .where(VoiceCallRow.turn <= turn)
                            .values(turn=turn, misses=misses, expecting=expecting))
            session.commit()

    def move(self, call_sid: str, from_stages: Sequence[str], to: str) -> bool:
        with Session(self.engine) as session:
            moved = session.execute(update(VoiceCallRow).where(VoiceCallRow.call_sid == call_sid)
                                    .where(VoiceCallRow.stage.in_(tuple(from_stages)))  # type: ignore[attr-defined]
                                    .values(stage=to)).rowcount
            session.commit()
            return bool(moved)

    def ended(self, call_sid: str, status: str, at: datetime) -> bool:
        with Session(self.engine) as session:
            moved = session.execute(update(VoiceCallRow).where(VoiceCallRow.call_sid == call_sid)
                                    .where(VoiceCallRow.stage != ENDED)
                                    .values(stage=ENDED, status=status, ended_at=at)).rowcount
            session.commit()
            return bool(moved)

    def queue_speech(self, call_sid: str, text: str, at: datetime) -> None:
        with Session(self.engine) as session:
            session.add(VoiceSpeechRow(call_sid=call_sid, text=text, queued_at=at))
            session.commit()

    def speech_waiting(self, call_sid: str) -> bool:
        with Session(self.engine) as session:
            return session.exec(select(VoiceSpeechRow.id).where(VoiceSpeechRow.call_sid == call_sid)
                                .where(VoiceSpeechRow.spoken_at == None)).first() is not None  # noqa: E711

    def take_speech(self, call_sid: str, at: datetime) -> Sequence[str]:
        taken: List[str] = []
        with Session(self.engine) as session:
            rows = session.exec(select(VoiceSpeechRow).where(VoiceSpeechRow.call_sid == call_sid)
                                .where(VoiceSpeechRow.spoken_at == None)  # noqa: E711 - SQL IS NULL
                                .order_by(VoiceSpeechRow.id)).all()
            for row in rows:  # each marked by a compare-and-set: two readers never both say it
                if session.execute(update(VoiceSpeechRow).where(VoiceSpeechRow.id == row.id)
                                   .where(VoiceSpeechRow.spoken_at == None)  # noqa: E711
                                   .values(spoken_at=at)).rowcount:
                    taken.append(row.text)
            session.commit()
        return taken


class SqlSealedInputs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def seal(self, conversation_id: str, value: str, at: datetime) -> str:
        ref = secrets.token_urlsafe(18)
        with Session(self.engine) as session:
            session.execute(delete(SealedInputRow).where(SealedInputRow.sealed_at < at - SEALED_FOR))
            session.add(SealedInputRow(ref=ref, conversation_id=conversation_id, value=value, sealed_at=at))
            session.commit()
        return ref

    def take(self, ref: str, conversation_id: str, now: datetime) -> Optional[str]:
        with Session(self.engine) as session:
            row = session.get(SealedInputRow, ref)
            if row is None or row.conversation_id != conversation_id:
                return None
            value, fresh = row.value, row.sealed_at >= now - SEALED_FOR
            gone = session.execute(delete(SealedInputRow).where(SealedInputRow.ref == ref)).rowcount
            session.commit()
            return value if gone and fresh else None
