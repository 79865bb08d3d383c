"""The one way out, on SQL: codes, and the bot's replies to phones, are queued as deliveries for the
inbox's delivery worker."""

from __future__ import annotations

import json
from datetime import datetime
from typing import List

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.outbound import SMS, CodeText, UndeliveredCode
from actions.store.tables import DeliveryRow

CODE = "code"


class SqlOutbound:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def queue_code(self, code: CodeText, now: datetime) -> None:
        with Session(self.engine) as session:
            session.add(DeliveryRow(conversation_id=code.conversation_id, kind=CODE, channel=SMS,
                                    payload_json=json.dumps(code.payload()), created_at=now, next_try_at=now))
            session.commit()

    def queue_reply(self, channel: str, conversation_id: str, text: str, now: datetime) -> None:
        """The bot's reply to a message that came by ``channel`` (a phone's): it goes back the same way."""
        with Session(self.engine) as session:
            session.add(DeliveryRow(conversation_id=conversation_id, kind="say", channel=channel,
                                    payload_json=json.dumps({"text": text, "source": "bot"}), created_at=now,
                                    next_try_at=now))
            session.commit()

    def undelivered(self, conversation_id: str) -> List[UndeliveredCode]:
        with Session(self.engine) as session:
            rows = session.exec(select(DeliveryRow).where(DeliveryRow.conversation_id == conversation_id)
                                .where(DeliveryRow.kind == CODE).where(DeliveryRow.status == "failed")
                                .order_by(DeliveryRow.id))  # type: ignore[arg-type]
            failed = [(json.loads(row.payload_json), row.error or "") for row in rows]
        return [UndeliveredCode(str(payload["challenge"]), str(payload["subject"]), str(payload["to"])[-4:], error) for payload, error in failed]
