"""A phone call handed to people (a warm transfer) and each person's phone rung for it (its legs).

The caller waits on hold in a conference room while people are rung one at a time; the first to
press 1 after the brief joins the room. ``warm_transfer`` moves these records; the store keeps
them (``voice_transfers``, ``voice_transfer_legs``) with a compare-and-set on the transfer's
version, so two webhooks about the same call never both act on the state they read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Dict, Mapping, Optional, Protocol, Sequence, Tuple

#: The transfer, from the caller's side. Waiting: holding (on hold, a phone about to ring),
#: ringing, briefing (a person picked up and hears the brief), connected, on_hold (a person put
#: them on hold). Finished: handed_back (back with the assistant), callback (nobody took it, a call
#: back is promised), caller_left (hung up before anyone took it), ended (hung up after).
HOLDING, RINGING, BRIEFING, CONNECTED, ON_HOLD = "holding", "ringing", "briefing", "connected", "on_hold"
HANDED_BACK, CALLBACK, CALLER_LEFT, ENDED = "handed_back", "callback", "caller_left", "ended"
TRANSFER_STATES = (HOLDING, RINGING, BRIEFING, CONNECTED, ON_HOLD, HANDED_BACK, CALLBACK, CALLER_LEFT, ENDED)
FINISHED = (HANDED_BACK, CALLBACK, CALLER_LEFT, ENDED)
WITH_A_PERSON = (CONNECTED, ON_HOLD)

#: One person's phone: ringing, answered (picked up, brief not read yet), briefing, accepted (pressed
#: 1, in the room), then how it ended: declined (pressed 2), no_answer (rang out, busy, silence),
#: voicemail, cancelled (by us: the caller hung up or was handed back), failed (the call could not
#: be placed), left (was in the room, then left it).
LEG_RINGING, LEG_ANSWERED, LEG_BRIEFING, ACCEPTED = "ringing", "answered", "briefing", "accepted"
DECLINED, NO_ANSWER, VOICEMAIL, CANCELLED, FAILED, LEFT = "declined", "no_answer", "voicemail", "cancelled", "failed", "left"
LEG_STATES = (LEG_RINGING, LEG_ANSWERED, LEG_BRIEFING, ACCEPTED, DECLINED, NO_ANSWER, VOICEMAIL, CANCELLED, FAILED, LEFT)
#: A person's phone still ringing or picked up without a choice yet: it must be cancelled when the transfer ends.
LIVE_LEG = (LEG_RINGING, LEG_ANSWERED, LEG_BRIEFING)


def room_of(transfer_id: str) -> str:
    """The conference room's name (Twilio's friendly name) for a transfer."""
    return f"transfer-{transfer_id}"


def masked(phone: Optional[str]) -> str:
    """'+1 ••• 0123': enough to tell numbers apart on a screen, not enough to dial."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if len(digits) < 4:
        return "a withheld number" if not digits else "•••"
    country = f"+{digits[:len(digits) - 10]} " if len(digits) > 10 else ""
    return f"{country}••• {digits[-4:]}"


@dataclass(frozen=True)
class Transfer:
    id: str
    call_sid: str  # the caller's call: the link between the call and the ticket
    conversation_id: str
    ticket_id: Optional[str]
    room: str
    state: str
    created_at: datetime
    updated_at: datetime
    leg: int = 0  # the leg being tried now (1, 2, ...); 0 before the first
    outcome: Optional[str] = None  # why it finished: person_left, nobody_answered, outside_opening_hours, ...
    note: Optional[str] = None  # for a callback: when it was promised, in words
    version: int = 1

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def moved(self, at: datetime, **changes: Any) -> "Transfer":
        return replace(self, updated_at=at, version=self.version + 1, **changes)

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "call_sid": self.call_sid, "conversation_id": self.conversation_id,
                "ticket_id": self.ticket_id, "room": self.room, "state": self.state, "leg": self.leg,
                "outcome": self.outcome, "note": self.note, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "version": self.version}


@dataclass(frozen=True)
class Leg:
    transfer_id: str
    n: int  # 1, 2, ... in the order people were rung
    username: str
    phone: str  # E.164, as rung; shown masked
    state: str
    created_at: datetime
    updated_at: datetime
    call_sid: Optional[str] = None  # None until the call to the person is placed
    answered_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None

    @property
    def live(self) -> bool:
        return self.state in LIVE_LEG

    def moved(self, at: datetime, **changes: Any) -> "Leg":
        return replace(self, updated_at=at, **changes)

    def to_dict(self) -> Dict[str, Any]:
        return {"n": self.n, "username": self.username, "phone": masked(self.phone), "state": self.state,
                "call_sid": self.call_sid, "created_at": self.created_at.isoformat(),
                "answered_at": self.answered_at.isoformat() if self.answered_at else None,
                "ended_at": self.ended_at.isoformat() if self.ended_at else None}


class TransferStore(Protocol):
    """Where transfers and their legs are kept (SQL, and a memory twin for tests)."""

    def add(self, transfer: Transfer, legs: Sequence[Leg] = ()) -> bool:
        """Keep a new transfer (and its first leg); False if its id is taken."""
        ...

    def move(self, before: Transfer, after: Transfer, legs: Sequence[Leg] = ()) -> bool:
        """Store ``after`` and the new or changed ``legs`` if the transfer is still at
        ``before.version``, in one transaction; False (nothing written) if someone moved it first."""
        ...

    def transfer(self, transfer_id: str) -> Optional[Transfer]: ...

    def for_call(self, call_sid: str) -> Optional[Transfer]:
        """The caller's latest transfer (a call may be transferred again after a hand-back)."""
        ...

    def for_ticket(self, ticket_id: str) -> Optional[Transfer]:
        """The ticket's latest transfer."""
        ...

    def legs(self, transfer_id: str) -> Tuple[Leg, ...]:
        """Its legs, first rung first."""
        ...


def state_in_words(transfer: Transfer, legs: Sequence[Leg], names: Mapping[str, str]) -> str:
    """What the inbox says about the call: "Ringing Ali", "Ali is being briefed", "Connected with Ali"."""
    leg = next((x for x in legs if x.n == transfer.leg), None)
    who = (names.get(leg.username) or leg.username).split(" ")[0] if leg else "someone"
    words = {
        HOLDING: f"Caller on hold; calling {who}",
        RINGING: f"Ringing {who}",
        BRIEFING: f"{who} is being briefed",
        CONNECTED: f"Connected with {who}",
        ON_HOLD: f"Caller on hold by {who}",
        HANDED_BACK: "Caller back with the assistant",
        CALLBACK: f"Callback promised {transfer.note}" if transfer.note else "Callback promised",
        CALLER_LEFT: "Caller hung up before anyone took the call",
        ENDED: "Call ended",
    }
    return words.get(transfer.state, transfer.state)
