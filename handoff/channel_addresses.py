"""Where a conversation's texts go, read from ``channel_addresses`` (written by the SMS and
WhatsApp input channels): the number a conversation wrote from, when it last did (WhatsApp's
24-hour window), and whether it sent STOP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.store.tables import ChannelAddressRow


@dataclass(frozen=True)
class ChannelAddress:
    channel: str
    address: str  # E.164
    last_inbound_at: Optional[datetime]
    opted_out_at: Optional[datetime]


def _of(row: ChannelAddressRow) -> ChannelAddress:
    return ChannelAddress(row.channel, row.address, row.last_inbound_at, row.opted_out_at)


class SqlChannelAddresses:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def address(self, channel: str, address: str) -> Optional[ChannelAddress]:
        """What is known of ``address`` on ``channel``; None if it never wrote."""
        with Session(self.engine) as session:
            row = session.get(ChannelAddressRow, (channel, address))
            return _of(row) if row is not None else None

    def of_conversation(self, conversation_id: str, channel: str) -> Optional[ChannelAddress]:
        """The address the conversation last wrote from on ``channel``."""
        with Session(self.engine) as session:
            row = session.exec(select(ChannelAddressRow).where(ChannelAddressRow.conversation_id == conversation_id)
                               .where(ChannelAddressRow.channel == channel)
                               .order_by(ChannelAddressRow.last_inbound_at.desc())).first()  # type: ignore[attr-defined]
            return _of(row) if row is not None else None
