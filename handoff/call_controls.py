"""The customer's call, worked from the inbox by the person on it: hold, off hold, and hand-back.

The rules are ``handoff.domain.call_controls``; the call itself moves the way every webhook moves
it, through the voice side's ``CallTransfers`` (one executor of the transfer's phone commands),
which the inbox holds too when it has Twilio settings (``bot.composition.call_transfers``).

A hand-back in the inbox closes the ticket and queues the assistant's news; during a call it
also steps the transfer here, so the caller leaves the room at once instead of when the news
reaches the assistant. Both orders work: the caller's return (``/webhooks/voice/resume``) waits
for the news with hold music, and news that came first is said as soon as they are back. The
voice channel still steps the same hand-back when the news arrives (the safety net if this
process could not): the transfer is finished by then and nothing is done twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Optional

from handoff.desk import Desk
from handoff.desk_base import actor
from handoff.domain import tickets as ticket_rules
from handoff.domain.call_controls import hold_refusal, live
from handoff.domain.errors import Conflict, Forbidden
from handoff.domain.people import User
from handoff.domain.transfer_records import Transfer, state_in_words
from handoff.domain.warm_transfer import HandBack, HoldCaller, HoldInRoom
from handoff.transfers import SqlTransfers

if TYPE_CHECKING:
    from channels.voice_transfer import CallTransfers

logger = logging.getLogger(__name__)

NO_TWILIO = ("this inbox has no Twilio settings (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER), "
             "so it can't put a caller on hold or take them off it; use the keys on your phone")


class CallControls:
    """What the person on a customer's call does to it from the inbox."""

    def __init__(self, desk: Desk, transfers: Optional["CallTransfers"]) -> None:
        self.desk = desk
        self.transfers = transfers  # None without Twilio: the phones can't be told anything
        self.records = SqlTransfers(desk.store.engine)

    async def hold(self, user: User, ticket_id: str, version: Optional[int], on: bool) -> None:
        """Put the caller on hold in the room (hold music) or take them off it; audited. ``version``,
        when given, is the ticket's as the page read it (a hold does not change the ticket, so it
        may be left out: the call's own state decides)."""
        ticket = await asyncio.to_thread(self.desk.ticket, user, ticket_id)
        if version is not None:
            ticket_rules.expect_version(ticket, version)
        transfer = await asyncio.to_thread(self.records.for_ticket, ticket.id)
        refused = hold_refusal(ticket, transfer, user, on, await asyncio.to_thread(self._words, transfer))
        if self.transfers is None and not isinstance(refused, Forbidden):
            raise Conflict(NO_TWILIO)
        if refused is not None:
            raise refused
        assert transfer is not None and self.transfers is not None
        _, commands = await self.transfers.on(transfer.id, HoldCaller(on), wait=True)
        if not any(isinstance(command, HoldInRoom) for command in commands):
            raise Conflict("the call changed while you were acting on it; reload the ticket and look again")
        event = "caller_put_on_hold" if on else "caller_taken_off_hold"
        await asyncio.to_thread(self.desk.s.audit.append, self.desk.s.ticket_entry(
            event, ticket, actor=actor(user), transfer_id=transfer.id, call_sid=transfer.call_sid))

    async def handed_back(self, user: User, ticket_id: str, outcome: str) -> None:
        """The ticket was just handed back: a caller still in the room (or waiting for a person) comes
        back to the assistant now. Never fails the hand-back, which is done; the voice channel
        brings the caller back when the news reaches it if this could not."""
        if self.transfers is None:
            return
        transfer = await asyncio.to_thread(self.records.for_ticket, ticket_id)
        if not live(transfer):
            return
        assert transfer is not None
        try:
            await self.transfers.on(transfer.id, HandBack(by=user.username, outcome=outcome))
        except Exception:  # logged; the assistant's news still brings the caller back
            logger.exception("transfer %s: the caller was not brought back from the inbox", transfer.id)

    def _words(self, transfer: Optional[Transfer]) -> str:
        if transfer is None:
            return ""
        names = {u.username: u.name for u in self.desk.store.users()}
        return state_in_words(transfer, self.records.legs(transfer.id), names)
