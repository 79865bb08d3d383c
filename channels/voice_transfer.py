"""The phone side of a warm transfer: Twilio's webhooks about it in, TwiML and Twilio API calls out.

The rules are ``handoff.domain.warm_transfer`` (a state machine) and ``handoff.transfer_service``
(which stores each step with a compare-and-set and does the inbox's part: notes, call backs).
Here every webhook becomes an event, and the step's phone commands are carried out only after it
is stored: a person's phone is rung through the Calls API (with answering machine detection and
a ring timeout), a ringing phone is cancelled, the caller is put on hold in the room or brought
back to the assistant by redirecting their call (which also ends the room for whoever is left).

The caller never hears silence: in the room they hear hold music (the conference's ``waitUrl``)
until a person joins; when they come back (``resume``) they hear the person's outcome as the
assistant says it, with "thanks for holding" and music while that news is on its way.

The person who took the call presses ``*`` to hand back: they hear a short menu (resolved,
continue, approve, reject with a reason) and their choice is the inbox's hand-back, with the
same rules and the same exactly-once run of the held action as the button in the inbox. If they
just hang up, the assistant continues with the caller (a hand-back as "continue").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, List, Optional, Sequence, Tuple

from twilio.base.exceptions import TwilioException

from actions.domain.voice_brief import brief
from actions.domain.wakeup import Listener, Wakeup
from actions.domain.voice_calls import FINAL_STATUSES, TRANSFER, WITH_BOT, VoiceCall, VoiceCalls
from actions.sms.twilio_http import async_twilio_client
from channels import voice_twiml as twiml
from handoff.domain.errors import InboxError
from handoff.domain.transfer_records import CALLBACK, HANDED_BACK, Transfer
from handoff.domain.warm_transfer import (
    BriefAsked, BriefPerson, CallerHungUp, CallPerson, CancelLeg, Command, Event, HandBack, HoldInRoom,
    JoinConference, LegAnswered, LegEnded, LegNotPlaced, LegPlaced, LegRang, MachineAnswered, PersonLeft,
    PersonPressed, PRESSED_STAR, RedirectCallerToBot, RoomEnded,
)
from handoff.transfer_service import TransferService

logger = logging.getLogger(__name__)

BRINGING_IN = ("I'm bringing in a specialist from our customer care team, who can see everything we've "
               "talked about. Please hold while I connect you.")
ALREADY_WITH_PEOPLE = ("A specialist from our customer care team already has your conversation. Please hold "
                       "while I connect you.")
PLEASE_HOLD = "Thanks for holding. A specialist will be with you shortly."
THANKS_FOR_HOLDING = "Thanks for holding, I'm just getting the notes from our specialist."
NOT_WAITING = "Thanks. This call is no longer waiting for you. Goodbye."
PASSED_ON = "Thanks, we'll offer the call to someone else. Goodbye."
OUTCOME_MENU = ("The caller is back with the assistant. To hand back: press 1 if it's resolved, 2 to let the "
                "assistant continue, 3 to approve the waiting request, or 4 to reject it.")
SAY_WHY = "Please say why it's rejected, after the tone. The customer will hear it."
HANDED_BACK_THANKS = "Thanks, it's handed back. Goodbye."
CALLER_GONE = "The caller has hung up, so the call has ended. It's noted on the ticket. Goodbye."
#: What each key of the menu hands back as (``handoff.domain.tickets.OUTCOMES``).
OUTCOME_KEYS = {"1": "resolved", "2": "continue", "3": "approved", "4": "rejected"}
#: How long the caller waits for the person's hand-back before the assistant just continues.
HANDBACK_GRACE = timedelta(seconds=30)
#: How long after the assistant's last queued line its news counts as complete.
NEWS_SETTLES = 0.6
#: How long a caller on hold music after a transfer waits at most between two looks for the assistant's
#: news (and whether they hung up) when no wake-up comes: the news wakes the watcher as it is queued.
NEWS_SAFETY_NET = 2.0
#: Machine-detection answers that mean no person picked up.
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")


def voice_url(public_url: str, path: str, **query: Any) -> str:
    """The public URL of one of the voice channel's webhooks (what Twilio calls, and signs)."""
    tail = "&".join(f"{name}={value}" for name, value in query.items())
    return f"{public_url.rstrip('/')}/webhooks/voice/{path}" + (f"?{tail}" if tail else "")


@dataclass(frozen=True)
class TwilioLine:
    """How this server reaches Twilio's API, and the number calls come from."""

    account_sid: str
    auth_token: str
    from_number: str
    base_url: Optional[str] = None


class CallTransfers:
    """The transfer webhooks of the voice channel, and the Twilio API calls the transfer makes."""

    def __init__(self, service: Callable[[], TransferService], calls: VoiceCalls, line: TwilioLine,
                 url: Callable[..., str], now: Callable[[], datetime],
                 news: Optional[Callable[[], Listener]] = None) -> None:
        self._service = service  # built on first use: most chat servers never transfer a call
        self.calls = calls
        self.line = line
        self.url = url  # (path, **query) -> the public URL Twilio calls
        self.now = now
        self.news = news  # a listener woken when the assistant queues words for a caller

    @property
    def service(self) -> TransferService:
        return self._service()

    # -- the caller --------------------------------------------------------------------------------

    async def begin(self, call: VoiceCall, ticket_id: str, said: Sequence[str], transcript: Sequence[str],
                    already: bool = False) -> str:
        """The call needs the people who have its ticket: the caller holds in a room while the first
        person is rung, or (outside opening hours, nobody available) hears when they'll be called back."""
        if not await asyncio.to_thread(self.calls.move, call.call_sid, (WITH_BOT,), TRANSFER):
            return twiml.hold_music(PLEASE_HOLD, await self.music_url())
        transfer, commands = await asyncio.to_thread(self.service.start, call.call_sid, call.conversation_id,
                                                     ticket_id, call.caller, list(transcript))
        if transfer.state == CALLBACK:
            await asyncio.to_thread(self.calls.move, call.call_sid, (TRANSFER,), WITH_BOT)
            return twiml.goodbye(" ".join([*said, _callback_words(transfer)]))
        self._carry_out_later(transfer, commands)
        return twiml.to_conference(" ".join([*said, ALREADY_WITH_PEOPLE if already else BRINGING_IN]),
                                   transfer.room, self.url("hold"), self.url("resume", call=call.call_sid),
                                   self.url("conference-status", transfer=transfer.id))

    async def resume(self, call: VoiceCall, document: Callable[[Sequence[str]], Awaitable[str]]) -> str:
        """The caller is out of the room: the assistant's words about the outcome, when they come.

        ``document`` makes the caller's next turn from what to say. While the hand-back's news is on
        its way the caller hears thanks and music, and is brought back here as soon as it is queued
        (``_bring_back``); if the person left without choosing, the assistant continues after
        ``HANDBACK_GRACE`` (a hand-back as "continue")."""
        transfer = await asyncio.to_thread(self.service.transfers.for_call, call.call_sid)
        if transfer is not None and transfer.state == CALLBACK:
            await asyncio.to_thread(self.calls.move, call.call_sid, (TRANSFER,), WITH_BOT)
            return twiml.goodbye(_callback_words(transfer))
        news = await self._news(call.call_sid)
        if news:
            await asyncio.to_thread(self.calls.move, call.call_sid, (TRANSFER,), WITH_BOT)
            return await document(news)
        if call.call_sid not in _WATCHED:
            _WATCHED.add(call.call_sid)
            task = asyncio.get_running_loop().create_task(self._bring_back(call, transfer))
            _BACKGROUND.add(task)
            task.add_done_callback(lambda done: (_BACKGROUND.discard(done), _WATCHED.discard(call.call_sid)))
        return twiml.hold_music(THANKS_FOR_HOLDING, await self.music_url())

    async def _bring_back(self, call: VoiceCall, transfer: Optional[Transfer]) -> None:
        """Music plays until the assistant's news is queued; then the caller's call is redirected here."""
        since = self.now()
        continued = False
        # listening before the first look: news queued in between still wakes the watcher
        listener: Listener | Wakeup = self.news() if self.news else Wakeup()
        try:
            while True:
                current = await asyncio.to_thread(self.calls.get, call.call_sid)
                if current is None or not current.live:
                    return
                if await asyncio.to_thread(self.calls.speech_waiting, call.call_sid):
                    break
                if not continued and transfer is not None and self.now() - since > HANDBACK_GRACE:
                    continued = True
                    await asyncio.to_thread(self._continue_for_the_person, transfer)
                await listener.wait(NEWS_SAFETY_NET)
        finally:
            if not isinstance(listener, Wakeup):
                await listener.close()
        try:
            async with async_twilio_client(self.line.account_sid, self.line.auth_token, self.line.base_url) as client:
                await client.calls(call.call_sid).update_async(url=self.url("resume", call=call.call_sid),
                                                               method="POST")
        except TwilioException as failed:
            logger.warning("call %s: could not bring the caller back to the assistant: %s", call.call_sid, failed)

    async def caller_hung_up(self, call: VoiceCall) -> None:
        transfer = await asyncio.to_thread(self.service.transfers.for_call, call.call_sid)
        if transfer is not None and not transfer.finished:
            await self.on(transfer.id, CallerHungUp())

    async def handed_back_in_the_inbox(self, call: VoiceCall) -> None:
        """News for a caller in a transfer whose ticket people closed: the caller comes back now.

        The inbox steps the same hand-back itself when the person clicks (``handoff.call_controls``);
        this is the safety net, and finds the transfer finished then."""
        transfer = await asyncio.to_thread(self.service.transfers.for_call, call.call_sid)
        if transfer is None or transfer.finished:
            return
        ticket = await asyncio.to_thread(self.service.desk.store.ticket, transfer.ticket_id or "")
        if ticket is not None and not ticket.active:
            await self.on(transfer.id, HandBack(by=ticket.assignee or "the inbox", outcome=ticket.outcome or HANDED_BACK))

    # -- the person's phone ---------------------------------------------------------------------

    async def person_answered(self, transfer_id: str, n: int, answered_by: str) -> str:
        """The person's phone was picked up: the brief, then 1 to take the call or 2 to pass."""
        if answered_by in MACHINE:
            await self.on(transfer_id, MachineAnswered(n))
            return twiml.goodbye("")
        transfer, commands = await self.on(transfer_id, BriefAsked(n))
        if not any(isinstance(c, BriefPerson) for c in commands) or transfer is None:
            return twiml.goodbye(NOT_WAITING)
        return await self._brief(transfer, n)

    async def person_pressed(self, transfer_id: str, n: int, digits: str) -> str:
        transfer, commands = await self.on(transfer_id, PersonPressed(n, digits))
        if transfer is None:
            return twiml.goodbye(NOT_WAITING)
        if any(isinstance(c, JoinConference) and c.who == "person" for c in commands):
            await asyncio.to_thread(self._took_the_call, transfer, n)
            return twiml.person_joins(transfer.room, self.url("person/left", transfer=transfer_id, leg=n))
        if any(isinstance(c, BriefPerson) for c in commands):
            return await self._brief(transfer, n)
        return twiml.goodbye(PASSED_ON if digits.strip() else "")

    async def person_left(self, transfer_id: str, n: int, call_status: str) -> str:
        """The person's Dial ended: ``*`` (their call goes on: the hand-back menu), a hang-up, or the
        caller hanging up (which ends the room too, so Twilio asks the same question)."""
        star = call_status == "in-progress"
        if star and await self._caller_gone(transfer_id):
            await self.on(transfer_id, CallerHungUp())
            return twiml.goodbye(CALLER_GONE)
        transfer, _ = await self.on(transfer_id, PersonLeft(n, "star" if star else "hung_up"))
        if not star:
            return twiml.empty()
        if transfer is None or transfer.state != HANDED_BACK:
            return twiml.goodbye(CALLER_GONE)
        if transfer.outcome != PRESSED_STAR:  # handed back in the inbox, which ended the room: nothing to choose
            return twiml.goodbye(HANDED_BACK_THANKS)
        return twiml.menu(OUTCOME_MENU, self.url("person/outcome", transfer=transfer_id, leg=n))

    async def person_chose(self, transfer_id: str, n: int, digits: str, reason: str, asked_why: bool) -> str:
        """The person's hand-back from their phone, as the inbox's button would make it."""
        outcome = OUTCOME_KEYS.get(digits.strip()[:1]) if not asked_why else "rejected"
        if outcome is None:
            return twiml.menu(OUTCOME_MENU, self.url("person/outcome", transfer=transfer_id, leg=n))
        if outcome == "rejected" and not reason.strip():
            return twiml.ask_speech(SAY_WHY, self.url("person/outcome", transfer=transfer_id, leg=n, why=1))
        refusal = await asyncio.to_thread(self._hand_back_as_person, transfer_id, n, outcome, reason.strip())
        if refusal:
            return twiml.menu(f"{refusal}. {OUTCOME_MENU}", self.url("person/outcome", transfer=transfer_id, leg=n))
        return twiml.goodbye(HANDED_BACK_THANKS)

    async def leg_status(self, transfer_id: str, n: int, status: str, answered_by: str) -> None:
        """A status callback of the person's call, or its answering machine detection."""
        if answered_by in MACHINE:
            await self.on(transfer_id, MachineAnswered(n))
        elif status == "ringing":
            await self.on(transfer_id, LegRang(n))
        elif status == "in-progress" and not answered_by:
            await self.on(transfer_id, LegAnswered(n))
        elif status in ("completed", "busy", "no-answer", "failed", "canceled"):
            await self.on(transfer_id, LegEnded(n, status))

    async def room_status(self, transfer_id: str, event: str) -> None:
        if event == "conference-end":
            await self.on(transfer_id, RoomEnded())

    # -- events and commands ----------------------------------------------------------------------

    async def on(self, transfer_id: str, event: Event, wait: bool = False) -> Tuple[Optional[Transfer], List[Command]]:
        """Step the transfer, then carry out its phone commands: in the background (a webhook's Twilio
        waits for TwiML), or before returning with ``wait`` (the inbox's buttons, which answer once done)."""
        try:
            transfer, commands = await asyncio.to_thread(self._step, transfer_id, event)
        except KeyError:
            logger.warning("a webhook about transfer %s, which is not known here", transfer_id)
            return None, []
        if wait:
            await self._carry_out(transfer, _phone_work(commands))
        else:
            self._carry_out_later(transfer, commands)
        return transfer, commands

    def _step(self, transfer_id: str, event: Event) -> Tuple[Transfer, List[Command]]:
        """The service's step, with the caller's number and words for a call back it may ask for."""
        found = self.service.transfers.transfer(transfer_id)
        call = self.calls.get(found.call_sid) if found else None
        heard = self.calls.heard(call.call_sid) if call else ()
        return self.service.on(transfer_id, event, call.caller if call else None, list(heard))

    def _carry_out_later(self, transfer: Transfer, commands: Sequence[Command]) -> None:
        work = _phone_work(commands)
        if work:
            task = asyncio.get_running_loop().create_task(self._carry_out(transfer, work))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)

    async def _carry_out(self, transfer: Transfer, commands: Sequence[Command]) -> None:
        if not commands:
            return
        follow_ups: List[Tuple[str, Event]] = []
        async with async_twilio_client(self.line.account_sid, self.line.auth_token, self.line.base_url) as client:
            for command in commands:
                try:
                    event = await self._command(client, transfer, command)
                except TwilioException as failed:
                    logger.warning("transfer %s: %s failed: %s", transfer.id, type(command).__name__, failed)
                    event = LegNotPlaced(command.n, str(failed)[:200]) if isinstance(command, CallPerson) else None
                if event is not None:
                    follow_ups.append((transfer.id, event))
        for transfer_id, event in follow_ups:
            await self.on(transfer_id, event)

    async def _command(self, client: Any, transfer: Transfer, command: Command) -> Optional[Event]:
        if isinstance(command, CallPerson):
            status = self.url("leg-status", transfer=transfer.id, leg=command.n)
            placed = await client.calls.create_async(
                to=command.phone, from_=self.line.from_number,
                url=self.url("person", transfer=transfer.id, leg=command.n), method="POST",
                timeout=command.ring_seconds, machine_detection="Enable", async_amd="true",
                async_amd_status_callback=status, async_amd_status_callback_method="POST",
                status_callback=status, status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"])
            return LegPlaced(command.n, placed.sid)
        if isinstance(command, CancelLeg) and command.call_sid:
            await client.calls(command.call_sid).update_async(status="completed" if command.answered else "canceled")
        elif isinstance(command, HoldInRoom):
            room = await self._room_sid(client, command.room)
            if room:
                await client.conferences(room).participants(command.call_sid).update_async(  # "true", not "True"
                    hold="true" if command.on else "false", hold_url=self.url("hold"), hold_method="POST")
        elif isinstance(command, RedirectCallerToBot):
            await client.calls(command.call_sid).update_async(url=self.url("resume", call=command.call_sid),
                                                              method="POST")
            room = await self._room_sid(client, command.room)
            if room:  # whoever is left in the room (a person who handed back from the inbox) is let go
                await client.conferences(room).update_async(status="completed")
        return None

    async def _caller_gone(self, transfer_id: str) -> bool:
        """Whether the caller's call is over, as Twilio says (this server may not have heard yet)."""
        transfer = await asyncio.to_thread(self.service.transfers.transfer, transfer_id)
        if transfer is None:
            return True
        try:
            async with async_twilio_client(self.line.account_sid, self.line.auth_token, self.line.base_url) as client:
                caller = await client.calls(transfer.call_sid).fetch_async()
            return caller.status in FINAL_STATUSES
        except TwilioException as failed:
            logger.warning("transfer %s: the caller's call could not be read: %s", transfer_id, failed)
            call = await asyncio.to_thread(self.calls.get, transfer.call_sid)
            return call is None or not call.live

    @staticmethod
    async def _room_sid(client: Any, room: str) -> Optional[str]:
        for status in ("in-progress", "init"):
            rooms = await client.conferences.list_async(friendly_name=room, status=status, limit=1)
            if rooms:
                return rooms[0].sid
        return None

    # -- helpers ----------------------------------------------------------------------------------

    async def music_url(self) -> str:
        """The hold music's URL, read off the loop (the first read builds the desk)."""
        return await asyncio.to_thread(lambda: self.hold_music_url)

    @property
    def hold_music_url(self) -> str:
        return self.service.desk.s.policy.voice.hold_music_url

    async def _brief(self, transfer: Transfer, n: int) -> str:
        ticket = await asyncio.to_thread(self.service.desk.store.ticket, transfer.ticket_id or "")
        words = brief(ticket.evidence or {}, reasons=ticket.reasons, topic=ticket.topic, priority=ticket.priority) \
            if ticket is not None else "A caller needs a person. Press 1 to take the call, 2 to decline."
        return twiml.person_brief(words, self.url("person/choice", transfer=transfer.id, leg=n))

    async def _news(self, call_sid: str) -> List[str]:
        """What the assistant queued to say; once some has come, the rest of the same news too (Rasa
        sends an action's messages one after the other)."""
        news: List[str] = []
        while True:
            more = [line for line in await asyncio.to_thread(self.calls.take_speech, call_sid, self.now())
                    if line.strip()]
            if not more:
                return news
            news += more
            await asyncio.sleep(NEWS_SETTLES)

    def _hand_back_as_person(self, transfer_id: str, n: int, outcome: str, note: str) -> Optional[str]:
        """The inbox's hand-back, as the person whose phone took the call; what refused it, if anything."""
        service = self.service
        transfer = service.transfers.transfer(transfer_id)
        leg = next((x for x in service.transfers.legs(transfer_id) if x.n == n), None)
        found = service.desk.store.user(leg.username) if leg else None
        ticket = service.desk.store.ticket(transfer.ticket_id) if transfer and transfer.ticket_id else None
        if found is None or ticket is None:
            return "This call's ticket can't be found"
        if not ticket.active:
            return None  # handed back already (in the inbox): nothing more to do
        try:
            service.desk.hand_back(found[0], ticket.id, ticket.version, outcome, note)
        except InboxError as refused:
            return str(refused.message if hasattr(refused, "message") else refused).rstrip(".")
        return None

    def _took_the_call(self, transfer: Transfer, n: int) -> None:
        """The ticket is the person's who took the call, so their hand-back (from the phone or the inbox) counts."""
        service = self.service
        leg = next((x for x in service.transfers.legs(transfer.id) if x.n == n), None)
        found = service.desk.store.user(leg.username) if leg else None
        if found is None or not transfer.ticket_id:
            return
        try:
            service.desk.take_call(found[0], transfer.ticket_id)
        except InboxError as refused:
            logger.warning("transfer %s: the ticket stays where it was: %s", transfer.id, refused)

    def _continue_for_the_person(self, transfer: Transfer) -> None:
        """The person left without choosing: the assistant continues with the caller."""
        legs = self.service.transfers.legs(transfer.id)
        taken = next((x for x in legs if x.n == transfer.leg), None)
        if taken is not None:
            self._hand_back_as_person(transfer.id, taken.n, "continue", "")


_BACKGROUND: set = set()
#: Callers on hold music waiting for the assistant's news in this process (one watcher each).
_WATCHED: set = set()


def _phone_work(commands: Sequence[Command]) -> List[Command]:
    """The commands carried out through Twilio's API (the others are TwiML answers or the inbox's)."""
    return [c for c in commands if isinstance(c, (CallPerson, CancelLeg, HoldInRoom, RedirectCallerToBot))]


def _callback_words(transfer: Transfer) -> str:
    when = transfer.note or "as soon as we can"
    return (f"I'm sorry, nobody from our team can take your call right now. We'll call you back {when}, and "
            "they'll have everything we talked about. Thank you for calling Acme. Goodbye.")
