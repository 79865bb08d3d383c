"""The warm transfer as a state machine: events from the phones in, the next state and the commands out.

Like ``actions.domain.step_up``, nothing here calls anybody: the voice channel turns webhooks into
events (a person's phone rang, they pressed 1, the caller hung up), hands them to ``step`` with
the records as stored and the people who may still be rung (``call_roster.whom_to_call``), stores
the result with a compare-and-set, and only then carries out the commands (place a call, cancel
one, put the caller back with the assistant, ask for a call back). A duplicate webhook finds the
state already moved and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import List, Optional, Sequence, Tuple, Union

from actions.domain.policy_voice import VoiceRules
from handoff.domain.call_roster import PhonePerson
from handoff.domain.transfer_records import (
    ACCEPTED, BRIEFING, CALLBACK, CALLER_LEFT, CANCELLED, CONNECTED, DECLINED, ENDED, FAILED, HANDED_BACK, HOLDING,
    LEFT, LEG_ANSWERED, LEG_BRIEFING, LEG_RINGING, NO_ANSWER, ON_HOLD, RINGING, VOICEMAIL, WITH_A_PERSON, Leg,
    Transfer, room_of,
)

# -- events: what the phones and the inbox report ------------------------------------------------


@dataclass(frozen=True)
class LegPlaced:
    """The call to the person's phone was created (its SID, from the REST answer)."""
    n: int
    call_sid: str


@dataclass(frozen=True)
class LegNotPlaced:
    """The call to the person's phone could not be created (Twilio refused it, or was down)."""
    n: int
    error: str


@dataclass(frozen=True)
class LegRang:
    """The person's phone is ringing (status callback ``ringing``)."""
    n: int


@dataclass(frozen=True)
class LegAnswered:
    """Someone or something picked up (status callback ``in-progress``)."""
    n: int


@dataclass(frozen=True)
class BriefAsked:
    """The person's call asks what to say (its ``url`` webhook): the brief, with 1 or 2 to press."""
    n: int


@dataclass(frozen=True)
class MachineAnswered:
    """Answering machine detection found voicemail or a fax, not a person."""
    n: int


@dataclass(frozen=True)
class PersonPressed:
    """What the person pressed after the brief ("" when they pressed nothing)."""
    n: int
    digits: str


@dataclass(frozen=True)
class LegEnded:
    """The person's call ended (final status: completed, busy, no-answer, failed, canceled)."""
    n: int
    status: str


@dataclass(frozen=True)
class PersonLeft:
    """The person left the room: pressed * (``star``) or hung up (``hung_up``)."""
    n: int
    how: str


@dataclass(frozen=True)
class CallerHungUp:
    pass


@dataclass(frozen=True)
class HandBack:
    """Someone in the inbox handed the call back to the assistant."""
    by: str
    outcome: str = "handed_back"


@dataclass(frozen=True)
class HoldCaller:
    """The person puts the caller on hold (``on``) or takes them off it."""
    on: bool


@dataclass(frozen=True)
class RoomEnded:
    """The conference room ended (its status callback)."""


Event = Union[LegPlaced, LegNotPlaced, LegRang, LegAnswered, BriefAsked, MachineAnswered, PersonPressed,
              LegEnded, PersonLeft, CallerHungUp, HandBack, HoldCaller, RoomEnded]

# -- commands: what the channel does once the step is stored ---------------------------------------


@dataclass(frozen=True)
class JoinConference:
    """Put the caller (TwiML answering their call) or the person (answering their choice) in the room."""
    who: str  # caller | person
    room: str
    n: Optional[int] = None


@dataclass(frozen=True)
class CallPerson:
    """Place a call to the person's phone, ringing for ``ring_seconds``, with answering machine detection."""
    transfer_id: str
    n: int
    username: str
    phone: str
    ring_seconds: int


@dataclass(frozen=True)
class BriefPerson:
    """Answer the person's call with the brief: who is calling, about what, 1 to take it, 2 to pass."""
    n: int


@dataclass(frozen=True)
class CancelLeg:
    """Stop a person's call: cancel it while it rings, end it once answered. No SID yet: the call
    is cancelled when ``LegPlaced`` reports it."""
    n: int
    call_sid: Optional[str]
    answered: bool


@dataclass(frozen=True)
class HoldInRoom:
    """Put the caller on hold in the room (hold music) or take them off it."""
    room: str
    call_sid: str
    on: bool


@dataclass(frozen=True)
class RedirectCallerToBot:
    """End the room so the caller's Dial action brings them back to the assistant."""
    call_sid: str
    room: str


@dataclass(frozen=True)
class CallbackTicket:
    """Ask people to call the caller back (a ticket, or a note on theirs): ``reason`` says why."""
    reason: str


@dataclass(frozen=True)
class NoteTicket:
    """A line on the ticket for the people working it."""
    text: str


Command = Union[JoinConference, CallPerson, BriefPerson, CancelLeg, HoldInRoom, RedirectCallerToBot,
                CallbackTicket, NoteTicket]


@dataclass(frozen=True)
class Step:
    """The transfer after an event, the legs it added or changed, and what to do once it is stored."""

    transfer: Transfer
    legs: Tuple[Leg, ...] = ()
    commands: Tuple[Command, ...] = ()
    changed: bool = True


#: How a transfer ends when the person who took the call leaves the room: * (they choose the
#: outcome on their phone next), or a hang-up.
PRESSED_STAR, PERSON_HUNG_UP = "person_pressed_star", "person_hung_up"
#: Why a transfer ends in a call back.
OUTSIDE_HOURS, NOBODY_AVAILABLE, NOBODY_ANSWERED = "outside_opening_hours", "nobody_available", "nobody_answered"


def begin(id: str, call_sid: str, conversation_id: str, ticket_id: Optional[str], roster: Sequence[PhonePerson],
          open_now: bool, rules: VoiceRules, at: datetime) -> Step:
    """A call that needs a person: the caller goes on hold and the first person is rung; outside
    opening hours, or with nobody to ring, a call back is asked for instead (the caller stays with
    the assistant, which tells them when)."""
    transfer = Transfer(id=id, call_sid=call_sid, conversation_id=conversation_id, ticket_id=ticket_id,
                        room=room_of(id), state=HOLDING, created_at=at, updated_at=at)
    if not open_now or not roster:
        reason = OUTSIDE_HOURS if not open_now else NOBODY_AVAILABLE
        return Step(replace(transfer, state=CALLBACK, outcome=reason), commands=(CallbackTicket(reason),))
    transfer = replace(transfer, leg=1)
    leg = _leg(transfer, 1, roster[0], at)
    return Step(transfer, (leg,), (JoinConference("caller", transfer.room), _call(transfer, leg, rules)))


def step(transfer: Transfer, legs: Sequence[Leg], event: Event, roster: Sequence[PhonePerson], rules: VoiceRules,
         at: datetime) -> Step:
    """The transfer after ``event``. ``roster``: who may still be rung, first first (people already
    rung for this transfer left out); used when the person rung now does not take the call."""
    leg = next((x for x in legs if x.n == getattr(event, "n", -1)), None)
    if isinstance(event, CallerHungUp):
        return _caller_hung_up(transfer, legs, at)
    if isinstance(event, HandBack):
        return _handed_back(transfer, legs, at, event.outcome, f"Handed back to the assistant by {event.by}.")
    if isinstance(event, (HoldCaller, RoomEnded)):
        return _room(transfer, event, at)
    if leg is None:
        return _unchanged(transfer)
    if isinstance(event, LegPlaced):
        return _placed(transfer, leg, event, at)
    if transfer.finished:
        return _unchanged(transfer)
    current = leg.n == transfer.leg
    if isinstance(event, LegNotPlaced) and leg.live:
        return _next(transfer, legs, leg.moved(at, state=FAILED, ended_at=at), roster, rules, at)
    if isinstance(event, LegRang) and current and leg.state == LEG_RINGING and transfer.state == HOLDING:
        return Step(transfer.moved(at, state=RINGING))
    if isinstance(event, LegAnswered) and current and leg.state == LEG_RINGING:
        return Step(transfer.moved(at, state=BRIEFING), (leg.moved(at, state=LEG_ANSWERED, answered_at=at),))
    if isinstance(event, BriefAsked) and current and leg.live:
        if leg.state == LEG_BRIEFING:
            return Step(transfer, commands=(BriefPerson(leg.n),), changed=False)  # the same answer again
        return Step(transfer.moved(at, state=BRIEFING),
                    (leg.moved(at, state=LEG_BRIEFING, answered_at=leg.answered_at or at),), (BriefPerson(leg.n),))
    if isinstance(event, MachineAnswered) and leg.live:
        ended = leg.moved(at, state=VOICEMAIL, ended_at=at)
        return _next(transfer, legs, ended, roster, rules, at, CancelLeg(leg.n, leg.call_sid, answered=True))
    if isinstance(event, PersonPressed) and current and leg.state in (LEG_ANSWERED, LEG_BRIEFING):
        return _pressed(transfer, legs, leg, event.digits.strip(), roster, rules, at)
    if isinstance(event, LegEnded):
        return _leg_ended(transfer, legs, leg, event.status, roster, rules, at)
    if isinstance(event, PersonLeft) and leg.state == ACCEPTED:
        return _person_left(transfer, legs, leg, event.how, at)
    return _unchanged(transfer)


# -- the moves --------------------------------------------------------------------------------------


def _pressed(transfer: Transfer, legs: Sequence[Leg], leg: Leg, digits: str, roster: Sequence[PhonePerson],
             rules: VoiceRules, at: datetime) -> Step:
    if digits.startswith("1"):
        accepted = leg.moved(at, state=ACCEPTED)
        return Step(transfer.moved(at, state=CONNECTED), (accepted,), (JoinConference("person", transfer.room, leg.n),))
    if digits.startswith("2") or digits == "":
        ended = leg.moved(at, state=DECLINED if digits else NO_ANSWER, ended_at=at)
        return _next(transfer, legs, ended, roster, rules, at, CancelLeg(leg.n, leg.call_sid, answered=True))
    return Step(transfer, commands=(BriefPerson(leg.n),), changed=False)  # another key: the brief again


def _leg_ended(transfer: Transfer, legs: Sequence[Leg], leg: Leg, status: str, roster: Sequence[PhonePerson],
               rules: VoiceRules, at: datetime) -> Step:
    if leg.state == ACCEPTED:
        return _person_left(transfer, legs, leg, "hung_up", at)
    if not leg.live:
        return _unchanged(transfer)
    state = {"failed": FAILED, "canceled": CANCELLED}.get(status, NO_ANSWER)  # busy, no-answer, hung up unheard
    ended = leg.moved(at, state=state, ended_at=at)
    if leg.n != transfer.leg:
        return Step(transfer.moved(at), (ended,))
    return _next(transfer, legs, ended, roster, rules, at)


def _next(transfer: Transfer, legs: Sequence[Leg], ended: Leg, roster: Sequence[PhonePerson], rules: VoiceRules,
          at: datetime, *first: Command) -> Step:
    """The person rung now won't take it: ring the next, or ask for a call back when nobody is left."""
    rung = {x.username for x in legs}
    following = next((p for p in roster if p.username not in rung), None)
    if following is None:
        done = transfer.moved(at, state=CALLBACK, outcome=NOBODY_ANSWERED)
        return Step(done, (ended,), (*first, RedirectCallerToBot(transfer.call_sid, transfer.room),
                                     CallbackTicket(NOBODY_ANSWERED)))
    n = max(x.n for x in legs) + 1
    moved = transfer.moved(at, state=HOLDING, leg=n)
    leg = _leg(moved, n, following, at)
    return Step(moved, (ended, leg), (*first, _call(moved, leg, rules)))


def _placed(transfer: Transfer, leg: Leg, event: LegPlaced, at: datetime) -> Step:
    if leg.call_sid is not None:
        return _unchanged(transfer)
    placed = leg.moved(at, call_sid=event.call_sid)
    if leg.live:
        return Step(transfer.moved(at), (placed,))
    return Step(transfer.moved(at), (placed,), (CancelLeg(leg.n, event.call_sid, answered=False),))  # stopped meanwhile


def _person_left(transfer: Transfer, legs: Sequence[Leg], leg: Leg, how: str, at: datetime) -> Step:
    left = leg.moved(at, state=LEFT, ended_at=at)
    if transfer.state not in WITH_A_PERSON or leg.n != transfer.leg:
        return Step(transfer.moved(at), (left,))
    outcome = PRESSED_STAR if how == "star" else PERSON_HUNG_UP
    done = transfer.moved(at, state=HANDED_BACK, outcome=outcome)
    words = "pressed * to hand the caller back" if how == "star" else "hung up"
    return Step(done, (left,), (RedirectCallerToBot(transfer.call_sid, transfer.room),
                                NoteTicket(f"{leg.username} {words}: the caller is back with the assistant.")))


def _caller_hung_up(transfer: Transfer, legs: Sequence[Leg], at: datetime) -> Step:
    if transfer.finished:
        return _unchanged(transfer)
    stopped, commands = _stop_legs(legs, at)
    with_person = transfer.state in WITH_A_PERSON
    done = transfer.moved(at, state=ENDED if with_person else CALLER_LEFT, outcome="caller_hung_up")
    current = next((x for x in legs if x.n == transfer.leg), None)
    who = current.username if current else "anyone"
    text = (f"The caller hung up while connected with {who}." if with_person else
            f"The caller hung up while waiting on hold ({_stage_words(transfer.state, who)}).")
    return Step(done, stopped, (*commands, NoteTicket(text)))


def _handed_back(transfer: Transfer, legs: Sequence[Leg], at: datetime, outcome: str, text: str) -> Step:
    if transfer.finished:
        return _unchanged(transfer)
    stopped, commands = _stop_legs(legs, at)
    done = transfer.moved(at, state=HANDED_BACK, outcome=outcome)
    return Step(done, stopped, (*commands, RedirectCallerToBot(transfer.call_sid, transfer.room), NoteTicket(text)))


def _room(transfer: Transfer, event: Union[HoldCaller, RoomEnded], at: datetime) -> Step:
    if isinstance(event, RoomEnded):
        if transfer.state in WITH_A_PERSON:
            return Step(transfer.moved(at, state=ENDED, outcome="call_ended"))
        return _unchanged(transfer)
    wanted, before = (ON_HOLD, CONNECTED) if event.on else (CONNECTED, ON_HOLD)
    if transfer.state != before:
        return _unchanged(transfer)
    return Step(transfer.moved(at, state=wanted), commands=(HoldInRoom(transfer.room, transfer.call_sid, event.on),))


def _stop_legs(legs: Sequence[Leg], at: datetime) -> Tuple[Tuple[Leg, ...], Tuple[Command, ...]]:
    """Cancel every phone still ringing or picked up; whoever is in the room leaves it."""
    stopped: List[Leg] = []
    commands: List[Command] = []
    for leg in legs:
        if leg.live:
            stopped.append(leg.moved(at, state=CANCELLED, ended_at=at))
            commands.append(CancelLeg(leg.n, leg.call_sid, answered=leg.state != LEG_RINGING))
        elif leg.state == ACCEPTED:
            stopped.append(leg.moved(at, state=LEFT, ended_at=at))
    return tuple(stopped), tuple(commands)


def _stage_words(state: str, who: str) -> str:
    return {HOLDING: f"about to ring {who}", RINGING: f"{who}'s phone was ringing",
            BRIEFING: f"{who} was being briefed"}.get(state, state)


def _leg(transfer: Transfer, n: int, person: PhonePerson, at: datetime) -> Leg:
    return Leg(transfer_id=transfer.id, n=n, username=person.username, phone=str(person.phone), state=LEG_RINGING,
               created_at=at, updated_at=at)


def _call(transfer: Transfer, leg: Leg, rules: VoiceRules) -> CallPerson:
    return CallPerson(transfer.id, leg.n, leg.username, leg.phone, rules.ring_seconds)


def _unchanged(transfer: Transfer) -> Step:
    return Step(transfer, changed=False)

