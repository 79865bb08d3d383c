"""Warm transfers for the voice channel: start one, feed it the phones' events, get the commands back.

Thin on purpose: the rules are ``handoff.domain.warm_transfer`` and ``call_roster``. This reads
the records and the people available by phone, steps the machine, stores the step with a
compare-and-set (read again and retried when another webhook moved it first), and carries out
the commands that belong to the inbox (a note on the ticket, a call back in the queue). The
phone commands (place, cancel, hold, join, redirect) go back to the channel, which carries them
out only after the step is stored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable, List, Optional, Sequence, Tuple

from actions.domain.ticket import Ticket, new_ticket
from handoff.desk import Desk
from handoff.domain.call_roster import PhonePerson, whom_to_call
from handoff.domain.callbacks import CALLBACK_TOPIC, callback_text
from handoff.domain.transfer_records import Transfer, TransferStore
from handoff.domain.warm_transfer import CallbackTicket, Command, Event, NoteTicket, Step, begin, step

#: Attempts at storing a step when other webhooks keep moving the same transfer first.
_TRIES = 5


class TransferBusy(RuntimeError):
    """The transfer kept changing under this event: the webhook should be retried."""


class TransferService:
    def __init__(self, desk: Desk, transfers: TransferStore, people: Callable[[], Sequence[PhonePerson]],
                 make_id: Optional[Callable[[], str]] = None) -> None:
        self.desk = desk
        self.transfers = transfers
        self.people = people  # everyone available by phone (``SqlPhoneCodes.phone_people``)
        self.make_id = make_id or desk.s.make_id

    def start(self, call_sid: str, conversation_id: str, ticket_id: Optional[str], caller: Optional[str] = None,
              transcript: Sequence[str] = ()) -> Tuple[Transfer, List[Command]]:
        """A caller needs a person: the first phone rings, or a call back is asked for at once."""
        now, policy = self.desk.now, self.desk.s.policy
        ticket = self.desk.store.ticket(ticket_id) if ticket_id else None
        roster = whom_to_call(ticket, self.people(), policy, now) if ticket else []
        started = begin(self.make_id(), call_sid, conversation_id, ticket_id, roster,
                        policy.opening_hours.is_open(now), policy.voice, now)
        if not self.transfers.add(started.transfer, started.legs):
            raise TransferBusy(f"a transfer with id {started.transfer.id} exists already")
        return self._carry_out(started, caller, transcript)

    def on(self, transfer_id: str, event: Event, caller: Optional[str] = None,
           transcript: Sequence[str] = ()) -> Tuple[Transfer, List[Command]]:
        """The transfer after ``event``, and the phone commands for the channel (none if it changed nothing)."""
        for _ in range(_TRIES):
            transfer = self.transfers.transfer(transfer_id)
            if transfer is None:
                raise KeyError(f"there is no transfer {transfer_id}")
            legs = self.transfers.legs(transfer_id)
            now = self.desk.now
            ticket = self.desk.store.ticket(transfer.ticket_id) if transfer.ticket_id else None
            roster = whom_to_call(ticket, self.people(), self.desk.s.policy, now, tried=[x.username for x in legs]) \
                if ticket else []
            moved = step(transfer, legs, event, roster, self.desk.s.policy.voice, now)
            if not moved.changed:
                return transfer, list(moved.commands)
            if self.transfers.move(transfer, moved.transfer, moved.legs):
                return self._carry_out(moved, caller, transcript)
        raise TransferBusy(f"transfer {transfer_id} kept changing: try the event again")

    def request_callback(self, conversation_id: str, ticket: Optional[Ticket], caller: Optional[str],
                         transcript: Sequence[str], at: datetime) -> Tuple[Ticket, str]:
        """Ask people to call the caller back: a line on their open ticket, or a new ticket (the original's
        priority and queue) when it is closed or there is none. Returns the ticket and the promise in words."""
        policy = self.desk.s.policy
        when = policy.opening_hours.when_we_call_back(at, policy.voice.callback_within)
        text = callback_text(caller, when, transcript)
        if ticket is not None and ticket.active:
            self.desk.store.add_note(ticket, "system", None, text,
                                     self.desk.s.ticket_entry("callback_requested", ticket, actor="system", when=when))
            return ticket, when
        opened = new_ticket(policy.inbox, id=self.make_id(), conversation_id=conversation_id,
                            customer_id=ticket.customer_id if ticket else None, topic=CALLBACK_TOPIC,
                            priority=ticket.priority if ticket else "normal", reasons=(text,), pending_id=None, at=at,
                            evidence={"summary": text, "channel": "voice", "callback": {"when": when},
                                      "customer": (ticket.evidence or {}).get("customer") if ticket else None})
        if ticket is not None:
            opened = replace(opened, queue=ticket.queue)
        self.desk.s.handoffs.add(opened)
        self.desk.s.record("callback_requested", conversation_id, customer_id=opened.customer_id,
                           handoff_id=opened.id, when=when, priority=opened.priority)
        return opened, when

    def _carry_out(self, done: Step, caller: Optional[str], transcript: Sequence[str]) -> Tuple[Transfer, List[Command]]:
        """Do the inbox's part of a stored step; the phone commands are the channel's."""
        transfer = done.transfer
        ticket = self.desk.store.ticket(transfer.ticket_id) if transfer.ticket_id else None
        phone: List[Command] = []
        for command in done.commands:
            if isinstance(command, NoteTicket) and ticket is not None:
                self.desk.store.add_note(ticket, "system", None, command.text,
                                         self.desk.s.ticket_entry("call_noted", ticket, actor="system",
                                                                  transfer_id=transfer.id))
            elif isinstance(command, CallbackTicket):
                _, when = self.request_callback(transfer.conversation_id, ticket, caller, transcript, self.desk.now)
                noted = replace(transfer, note=when, version=transfer.version + 1)
                if self.transfers.move(transfer, noted):
                    transfer = noted
                phone.append(command)  # the channel tells the caller (``transfer.note``: when)
            elif not isinstance(command, NoteTicket):
                phone.append(command)
        return transfer, phone
