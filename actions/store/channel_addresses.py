"""The phone addresses conversations were reached on (``channel_addresses``): written by the SMS and
WhatsApp input channels when a customer writes (and on STOP and START), read by the delivery worker
for where texts go, WhatsApp's 24-hour window, and whether a number sent STOP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Set

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
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


def note_sender(session: Session, channel: str, address: str, conversation_id: str, at: datetime) -> None:
    """Note in ``session``'s transaction that ``address`` wrote at ``at`` for ``conversation_id``
    (``SqlChannelAddresses.seen``; the inbound queue notes it as it accepts the message). One
    upsert, so two first messages from a new number at once both get in, and a late twin never
    moves the last message back."""
    table = ChannelAddressRow.__table__  # type: ignore[attr-defined]
    upsert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table).values(
        channel=channel, address=address, conversation_id=conversation_id, last_inbound_at=at)
    later = upsert.excluded.last_inbound_at > table.c.last_inbound_at
    session.execute(upsert.on_conflict_do_update(
        index_elements=[table.c.channel, table.c.address],
        set_={"conversation_id": upsert.excluded.conversation_id,
              "last_inbound_at": case((later, upsert.excluded.last_inbound_at), else_=table.c.last_inbound_at)}))


class SqlChannelAddresses:
    """Which conversation a phone address belongs to, when it last wrote, and whether it opted out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def seen(self, channel: str, address: str, conversation_id: str, at: datetime) -> None:
        """The customer wrote from ``address``: replies may go there, and WhatsApp's window opens."""
        with Session(self.engine) as session:
            note_sender(session, channel, address, conversation_id, at)
            session.commit()

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
