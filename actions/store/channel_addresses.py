"""The phone addresses conversations were reached on (``channel_addresses``): written by the SMS and
WhatsApp input channels when a customer writes (and on STOP and START), read by the delivery worker
for where texts go, WhatsApp's 24-hour window, and whether a number sent STOP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Set

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.store.engines import read_session
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
    """Which conversation a phone address belongs to, when it last wrote, and whether it opted out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def seen(self, channel: str, address: str, conversation_id: str, at: datetime) -> None:
        """The customer wrote from ``address``: replies may go there, and WhatsApp's window opens."""
        with Session(self.engine) as session:
            row = session.get(ChannelAddressRow, (channel, address))
            if row is None:
                session.add(ChannelAddressRow(channel=channel, address=address, conversation_id=conversation_id,
                                              last_inbound_at=at))
            else:
                row.conversation_id, row.last_inbound_at = conversation_id, max(row.last_inbound_at, at)
                session.add(row)
            try:
                session.commit()
            except IntegrityError:  # a twin delivery stored it first: it says the same
                session.rollback()

    def opted_out(self, channel: str, address: str) -> bool:
        known = self.address(channel, address)
        return known is not None and known.opted_out_at is not None

    def opt_out(self, channel: str, address: str, at: Optional[datetime]) -> None:
        """STOP (``at``) or START (None): whether anything may be sent to the address."""
        with Session(self.engine) as session:
            session.execute(update(ChannelAddressRow).where(ChannelAddressRow.channel == channel)
                            .where(ChannelAddressRow.address == address).values(opted_out_at=at))
            session.commit()

    def address(self, channel: str, address: str) -> Optional[ChannelAddress]:
        """What is known of ``address`` on ``channel``; None if it never wrote."""
        with read_session(self.engine) as session:
            row = session.get(ChannelAddressRow, (channel, address))
            return _of(row) if row is not None else None

    def latest_of(self, conversation_id: str) -> Optional[ChannelAddress]:
        """The address the conversation wrote from last, on any channel."""
        with read_session(self.engine) as session:
            row = session.exec(select(ChannelAddressRow).where(ChannelAddressRow.conversation_id == conversation_id)
                               .order_by(ChannelAddressRow.last_inbound_at.desc())).first()  # type: ignore[attr-defined]
            return _of(row) if row is not None else None

    def channels_of(self, conversation_id: str) -> Set[str]:
        """The channels the conversation has written from (sms, whatsapp)."""
        with read_session(self.engine) as session:
            return set(session.exec(select(ChannelAddressRow.channel)
                                    .where(ChannelAddressRow.conversation_id == conversation_id)))

    def of_conversation(self, conversation_id: str, channel: str) -> Optional[ChannelAddress]:
        """The address the conversation last wrote from on ``channel``."""
        with read_session(self.engine) as session:
            row = session.exec(select(ChannelAddressRow).where(ChannelAddressRow.conversation_id == conversation_id)
                               .where(ChannelAddressRow.channel == channel)
                               .order_by(ChannelAddressRow.last_inbound_at.desc())).first()  # type: ignore[attr-defined]
            return _of(row) if row is not None else None
