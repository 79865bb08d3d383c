"""Phone calls through Twilio Voice: ``POST /webhooks/voice/webhook`` answers a call, and every turn
after it is a ``<Gather input="speech dtmf">`` whose answer comes back to ``/webhooks/voice/gather``.

A call is not a text: Twilio waits for the next TwiML document while the caller listens, so a
turn runs while the webhook waits (up to ``TURN_BUDGET``; a slower turn is covered by "one
moment" and a redirect that picks its answer up), and its answer is the bot's replies, made for
the ear (``actions.domain.spoken``), spoken in a Gather that listens for the next one
(``channels.voice_twiml``). Everything a call is comes from Twilio's signed webhooks
(``channels.twilio_signed``): the caller from ``From`` through the identity resolver (a withheld
number is a visitor for that call), so a call is part of the caller's one conversation.

- **Turns are numbered** in the Gather's URL and claimed in the database: a webhook Twilio
  delivers twice gets the first delivery's answer, and the turn runs once.
- **The keypad** means what the conversation waits for (``actions.domain.voice_calls``): 1 or 2
  for yes or no to a confirmation, a code's digits; a code spoken digit by digit counts too.
- **Codes are sealed** (``actions.domain.sealed``): Rasa records ``/provide_otp`` with a reference,
  never the digits, and the action server takes them once.
- **Silence and unheard answers** are asked again twice; the third time the caller is offered a
  person (0, or "agent"); after that the call ends politely.
- **Bad input** from Twilio gets TwiML that says something sensible; only a request Twilio did not
  sign is refused (403), as on every Twilio channel.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, Optional, Sequence, Set, Text, Tuple, Union

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse

from actions.domain.phone_sessions import withheld
from actions.domain.phones import NotAPhoneNumber, e164
from actions.domain.sealed import CODE_PLACEHOLDER, SEALED_CODE_MESSAGE, SEALED_KEY, SealedInputs
from actions.domain.sessions import Refused, Resolver
from actions.domain.spoken import for_the_ear
from actions.domain.spoken_digits import digits_from_speech
from actions.domain.voice_calls import CODE, FINAL_STATUSES, OFFER, TRANSFER, WITH_BOT, YES_NO, VoiceCall, VoiceCalls
from channels import voice_twiml as twiml
from channels.twilio_signed import TwilioSigned, validators_for
from channels.voice_output import SpokenLater
from channels.voice_requests import (
    BadCall, bot_lines, call_sid_of, heard, is_call_sid, leg_of, masked, transfer_of, turn_number,
)
from channels.voice_transfer import CallTransfers, voice_url

logger = logging.getLogger(__name__)

#: How long a webhook waits for its turn before Twilio hears "one moment" (Twilio gives up at 15 s).
TURN_BUDGET = 9.0
#: Silences or unheard answers in a row: asked again this many times, then offered a person.
ASKED_AGAIN = 2
#: Rounds of "one moment" (``TURN_BUDGET`` each) after which a turn nobody answers is given up: the
#: process running it died. The caller is asked to say it again.
LOST_AFTER = 4
LOST_TURN = "Sorry, I lost what you said there on our side. Could you say it again?"

GREETING = "/greet"
SORRY_LOST = "Sorry, I've lost track of this call on our side. Please call us again. Goodbye."
ASK_AGAIN = {
    None: "Sorry, I didn't catch that. How can I help?",
    YES_NO: "Sorry, I didn't catch that. Please say yes or press 1, or say no or press 2.",
    CODE: "Sorry, I didn't get a code. Please enter it on your keypad, or say it digit by digit.",
    OFFER: "Sorry, I didn't catch that. To talk to a person, press 0 or say 'agent'.",
}
OFFER_PERSON = ("I'm having trouble hearing you. To talk to a person, press 0 or say 'agent'. "
                "Or tell me again what you need.")
GIVE_UP = ("I'm sorry, I still can't hear you, so I'll end this call. You can call us back any time, "
           "or text us at this number. Goodbye.")


@dataclass(frozen=True)
class VoiceParts:
    """What the voice channel works with, made by the composition root (``bot.composition``)."""

    auth_token: str
    public_url: str  # how Twilio reaches this server: signatures are computed over it
    resolver: Resolver
    calls: VoiceCalls
    sealed: SealedInputs
    #: What the conversation waits for now: YES_NO (a confirmation), CODE (a one-time code) or None.
    expecting: Callable[[str], Optional[str]]
    hints: Tuple[str, ...]  # words the speech recogniser should expect (``voice_twiml.speech_hints``)
    audit: Callable[[str, str, Dict[str, Any]], None]
    now: Callable[[], datetime]
    #: (channel, conversation, text): something for the caller that can't be said on a call any more
    #: (the call ended) is texted instead, through the delivery worker.
    outbox: Callable[[str, str, str], None]
    #: The ticket people have the conversation on (waiting or assigned), if any: a call that needs them
    #: is transferred to them (``channels.voice_transfer``).
    open_ticket: Callable[[str], Optional[str]]
    #: (ticket, words): a line the caller said on the phone, put on the ticket people work (transcript lines).
    said_on_the_phone: Callable[[str, str], None]
    transfers: Optional["CallTransfers"] = None  # None without Twilio: nobody can be rung
    phone_region: str = "US"
    #: The auth token being rotated out, whose signatures are still believed (``TWILIO_AUTH_TOKEN_PREVIOUS``).
    previous_auth_token: Optional[str] = None


class TwilioVoiceInput(TwilioSigned, InputChannel):
    """Rasa's input channel for phone calls: ``/webhooks/voice/...``."""

    #: Turns running in this process, by (call, turn): a webhook waiting on one picks its answer up.
    _running: Dict[Tuple[str, int], "asyncio.Task[str]"] = {}
    _tasks: Set["asyncio.Task[Any]"] = set()

    def __init__(self, parts: VoiceParts) -> None:
        self.parts = parts
        self.auth_token, self.public_url = parts.auth_token, parts.public_url
        self.validators = validators_for(parts.auth_token, parts.previous_auth_token)

    @classmethod
    def name(cls) -> Text:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TwilioVoiceInput":
        from bot.composition import voice_input

        return voice_input(credentials or {})

    def get_output_channel(self) -> Optional[OutputChannel]:
        """What the bot says outside a turn (news after a hand-back or a decision): said on the live
        call at its next document, or texted if the call is over."""
        return SpokenLater(self.parts)

    def url(self, path: str, **query: Union[str, int]) -> str:
        return voice_url(self.public_url, path, **query)

    # -- the webhooks --------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hooks = Blueprint("voice_twilio_webhook", __name__)

        @hooks.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hooks.route("/webhook", methods=["POST"])
        async def answer(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "call", lambda form: self.answer(form, on_new_message))

        @hooks.route("/gather", methods=["POST"])
        async def gather(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "turn",
                                                lambda form: self.gathered(request, form, on_new_message))

        @hooks.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = self._signed_or_refusal(request, "status callback")
            if isinstance(form, HTTPResponse):
                return form
            return await self.status(form)

        @hooks.route("/hold", methods=["GET", "POST"])
        async def hold(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "hold music", lambda form: self.hold_music())

        @hooks.route("/resume", methods=["POST"])
        async def resume(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "resume", lambda form: self.resume(request, form))

        @hooks.route("/person", methods=["POST"])
        async def person(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "person's call", lambda form: self._transfers().person_answered(
                *leg_of(request.args), form.get("AnsweredBy") or ""))

        @hooks.route("/person/choice", methods=["POST"])
        async def person_choice(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "person's choice", lambda form: self._transfers().person_pressed(
                *leg_of(request.args), form.get("Digits") or ""))

        @hooks.route("/person/left", methods=["POST"])
        async def person_left(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "person's leaving", lambda form: self._transfers().person_left(
                *leg_of(request.args), form.get("CallStatus") or ""))

        @hooks.route("/person/outcome", methods=["POST"])
        async def person_outcome(request: Request) -> HTTPResponse:
            return await self._twiml_or_refusal(request, "person's hand-back", lambda form: self._transfers().person_chose(
                *leg_of(request.args), form.get("Digits") or "", form.get("SpeechResult") or "",
                request.args.get("why") == "1"))

        @hooks.route("/leg-status", methods=["POST"])
        async def leg_status(request: Request) -> HTTPResponse:
            return await self._callback(request, "person's call status", lambda form: self._transfers().leg_status(
                *leg_of(request.args), form.get("CallStatus") or "", form.get("AnsweredBy") or ""))

        @hooks.route("/conference-status", methods=["POST"])
        async def conference_status(request: Request) -> HTTPResponse:
            return await self._callback(request, "conference status", lambda form: self._transfers().room_status(
                transfer_of(request.args), form.get("StatusCallbackEvent") or ""))

        @hooks.listener("before_server_stop")
        async def stop_turns(app: Any, loop: Any) -> None:
            running = list(self._tasks)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

        return hooks

    async def _twiml_or_refusal(self, request: Request, what: str,
                                answer: Callable[[RequestParameters], Awaitable[str]]) -> HTTPResponse:
        """A signed request's TwiML; whatever goes wrong, the caller hears something sensible."""
        form = self._signed_or_refusal(request, what)
        if isinstance(form, HTTPResponse):
            if form.status == 403:
                return form
            logger.warning("voice %s not readable: %s", what, form.body[:200])
            return self._xml(twiml.something_went_wrong(SORRY_LOST))
        try:
            return self._xml(await answer(form))
        except BadCall as bad:
            logger.warning("voice %s not taken: %s", what, bad)
            return self._xml(twiml.something_went_wrong(SORRY_LOST))
        except Exception:  # noqa: BLE001 - never a 500 on a call: the caller would hear Twilio's error
            logger.exception("voice %s failed", what)
            return self._xml(twiml.something_went_wrong(SORRY_LOST))

    async def _callback(self, request: Request, what: str, handle: Callable[[RequestParameters], Awaitable[Any]]) -> HTTPResponse:
        """A status callback: acted on, answered with nothing (Twilio reads no TwiML from it)."""
        form = self._signed_or_refusal(request, what)
        if isinstance(form, HTTPResponse):
            return form
        try:
            await handle(form)
        except BadCall as bad:
            return response.text(str(bad), status=400)
        except Exception:  # noqa: BLE001 - logged; Twilio does not retry callbacks, the caller hears nothing of it
            logger.exception("voice %s failed", what)
        return response.empty()

    def _transfers(self) -> CallTransfers:
        if self.parts.transfers is None:
            raise BadCall("calls can't be transferred without Twilio settings")
        return self.parts.transfers

    async def hold_music(self) -> str:
        """The conference's waitUrl and a held participant's HoldUrl: a word, then music."""
        return twiml.hold_music("Please hold, a specialist will be with you shortly.",
                                await self._transfers().music_url())

    async def resume(self, request: Request, form: RequestParameters) -> str:
        """The caller out of the transfer's room: the assistant's words on what people did, then their turn."""
        call = await asyncio.to_thread(self.parts.calls.get, call_sid_of(form))
        if call is None or not call.live:
            return twiml.goodbye("Goodbye.")

        async def back_with_the_bot(lines: Sequence[str]) -> str:
            expecting = await asyncio.to_thread(self.parts.expecting, call.conversation_id)
            await asyncio.to_thread(self.parts.calls.expect, call.call_sid, expecting)
            return self._turn_document(call.call_sid, call.turn, lines, expecting)

        return await self._transfers().resume(call, back_with_the_bot)

    @staticmethod
    def _xml(document: str) -> HTTPResponse:
        return response.text(document, content_type="text/xml")

    async def answer(self, form: RequestParameters, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> str:
        """A new call: who is calling, then the bot's greeting as turn 0."""
        call_sid, sender = call_sid_of(form), (form.get("From") or "").strip()
        known = await asyncio.to_thread(self.parts.calls.get, call_sid)
        if known is None:
            resolution = await asyncio.to_thread(self.parts.resolver.resolve, {"from": sender, "call": call_sid})
            if isinstance(resolution, Refused):
                raise BadCall(resolution.reason)
            caller = None if withheld(sender) else self._number(sender)
            call = VoiceCall(call_sid, resolution.conversation_id, caller, self.parts.now())
            if await asyncio.to_thread(self.parts.calls.start, call):
                await asyncio.to_thread(self.parts.audit, call.conversation_id, "call_started",
                                        {"call_sid": call_sid, "caller": masked(caller)})
                ticket_id = await asyncio.to_thread(self.parts.open_ticket, call.conversation_id)
                if ticket_id is not None and self.parts.transfers is not None:  # people have it: to them, at once
                    document = await self.parts.transfers.begin(call, ticket_id, [], [], already=True)
                    await asyncio.to_thread(self.parts.calls.begin_turn, call_sid, 0, self.parts.now())
                    await asyncio.to_thread(self.parts.calls.finish_turn, call_sid, 0, document, misses=0,
                                            expecting=None)
                    return document
        return await self.turn_answer(call_sid, 0, GREETING, {}, on_new_message)

    async def gathered(self, request: Request, form: RequestParameters,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> str:
        """The caller's answer to turn ``turn - 1``'s question (or their silence), as turn ``turn``."""
        call_sid = call_sid_of(form)
        if request.args.get("call") not in (None, call_sid):
            raise BadCall("the turn's URL names another call")
        turn = turn_number(request.args.get("turn"))
        call = await asyncio.to_thread(self.parts.calls.get, call_sid)
        if call is None:
            raise BadCall(f"no call {call_sid} is known here")
        if not call.live:
            return twiml.goodbye("Goodbye.")
        answer = await asyncio.to_thread(self.parts.calls.answer_of, call_sid, turn)
        if answer is not None or (call_sid, turn) in self._running:
            return await self.turn_answer(call_sid, turn, "", {}, on_new_message)
        waited = request.args.get("wait")
        if waited is not None:  # back after "one moment", and the turn is not running here
            return await self.still_waiting(call, turn, turn_number(waited))
        words = heard(form, call.expecting)
        if words is None:
            return await self.not_heard(call, turn)
        text, metadata = await self.sealed_if_code(call, words, form)
        return await self.turn_answer(call_sid, turn, text, metadata, on_new_message,
                                      heard=CODE_PLACEHOLDER if SEALED_KEY in metadata else words)

    async def still_waiting(self, call: VoiceCall, turn: int, waited: int) -> str:
        """A turn another process has (or had, if it died mid-turn): its answer when stored; after
        ``LOST_AFTER`` rounds of "one moment" it is given up and the caller asked to say it again."""
        if waited < LOST_AFTER:
            return await self._answer_when_ready(call.call_sid, turn, waited)
        document = self._turn_document(call.call_sid, turn, [LOST_TURN], call.expecting)
        await asyncio.to_thread(self.parts.calls.finish_turn, call.call_sid, turn, document, misses=call.misses,
                                expecting=call.expecting)
        await asyncio.to_thread(self.parts.audit, call.conversation_id, "call_turn_lost",
                                {"call_sid": call.call_sid, "turn": turn})
        return await asyncio.to_thread(self.parts.calls.answer_of, call.call_sid, turn) or document

    async def sealed_if_code(self, call: VoiceCall, words: str, form: RequestParameters) -> Tuple[str, Dict[str, Any]]:
        """A code (keyed, or spoken digit by digit) goes to the bot sealed; anything else as said."""
        if call.expecting != CODE:
            return words, {}
        code = words if words.isdigit() else digits_from_speech(words)
        if not code:
            return words, {}  # "send it again", "cancel": words for the bot
        ref = await asyncio.to_thread(self.parts.sealed.seal, call.conversation_id, code, self.parts.now())
        return SEALED_CODE_MESSAGE, {SEALED_KEY: ref, "keyed": bool(form.get("Digits"))}

    async def not_heard(self, call: VoiceCall, turn: int) -> str:
        """Silence or an answer too unclear to act on: asked again, then offered a person, then goodbye."""
        misses = call.misses + 1
        if not await asyncio.to_thread(self.parts.calls.begin_turn, call.call_sid, turn, self.parts.now()):
            return await self._answer_when_ready(call.call_sid, turn)
        expecting = call.expecting
        if misses > ASKED_AGAIN + 1:
            document = twiml.goodbye(GIVE_UP)
            await asyncio.to_thread(self.parts.audit, call.conversation_id, "call_not_heard",
                                    {"call_sid": call.call_sid, "misses": misses})
        else:
            if misses > ASKED_AGAIN:
                line, expecting = OFFER_PERSON, OFFER
            else:
                line = ASK_AGAIN.get(expecting, ASK_AGAIN[None])
            document = self._turn_document(call.call_sid, turn, [line], expecting)
        await asyncio.to_thread(self.parts.calls.finish_turn, call.call_sid, turn, document, misses=misses,
                                expecting=expecting)
        return document

    # -- a turn --------------------------------------------------------------------------------

    async def turn_answer(self, call_sid: str, turn: int, text: str, metadata: Dict[str, Any],
                          on_new_message: Callable[[UserMessage], Awaitable[Any]], heard: Optional[str] = None) -> str:
        """Turn ``turn``'s TwiML: run once (claimed in the database), waited for up to ``TURN_BUDGET``."""
        key = (call_sid, turn)
        if key not in self._running and text:
            if await asyncio.to_thread(self.parts.calls.begin_turn, call_sid, turn, self.parts.now(), heard):
                task = asyncio.get_running_loop().create_task(self._run_turn(call_sid, turn, text, metadata,
                                                                             on_new_message))
                self._running[key] = task
                self._tasks.add(task)
                task.add_done_callback(lambda done: (self._tasks.discard(done), self._running.pop(key, None)))
        return await self._answer_when_ready(call_sid, turn)

    async def _answer_when_ready(self, call_sid: str, turn: int, waited: int = 0) -> str:
        """The turn's answer once stored; "one moment" and a redirect back here while it runs."""
        again = twiml.one_moment(self.url("gather", call=call_sid, turn=turn, wait=waited + 1))
        task = self._running.get((call_sid, turn))
        if task is not None:
            try:
                return await asyncio.wait_for(asyncio.shield(task), TURN_BUDGET)
            except asyncio.TimeoutError:
                return again
        for _ in range(int(TURN_BUDGET / 0.25)):  # another process (or a crash) has it: the database tells
            answer = await asyncio.to_thread(self.parts.calls.answer_of, call_sid, turn)
            if answer is not None:
                return answer
            await asyncio.sleep(0.25)
        return again

    async def _run_turn(self, call_sid: str, turn: int, text: str, metadata: Dict[str, Any],
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> str:
        call = await asyncio.to_thread(self.parts.calls.get, call_sid)
        assert call is not None
        collected = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(text, collected, call.conversation_id, input_channel=self.name(),
                                             metadata={"call_sid": call_sid, "turn": turn, **metadata}))
            replies = bot_lines(collected.messages)
        except Exception:  # noqa: BLE001 - the caller hears an apology and can go on
            logger.exception("voice turn %s of %s failed", turn, call_sid)
            replies = ["Sorry, something went wrong on our side. Please say that again, or say 'agent' "
                       "to talk to a person."]
        ticket_id = await asyncio.to_thread(self.parts.open_ticket, call.conversation_id)
        if ticket_id is not None and self.parts.transfers is not None and call.stage == WITH_BOT:
            # the turn handed the conversation to people: the caller is taken to them (the transfer says
            # so in words made for a call, in place of the bot's written handoff message)
            heard = await asyncio.to_thread(self.parts.calls.heard, call_sid)
            for line in heard:  # what the caller said on this call, on the ticket the person opens
                await asyncio.to_thread(self.parts.said_on_the_phone, ticket_id, line)
            document = await self.parts.transfers.begin(call, ticket_id, [], heard)
            await asyncio.to_thread(self.parts.calls.finish_turn, call_sid, turn, document, misses=0, expecting=None)
            return document
        expecting = await asyncio.to_thread(self.parts.expecting, call.conversation_id)
        later = await asyncio.to_thread(self.parts.calls.take_speech, call_sid, self.parts.now())
        document = self._turn_document(call_sid, turn, [*replies, *later], expecting)
        await asyncio.to_thread(self.parts.calls.finish_turn, call_sid, turn, document, misses=0, expecting=expecting)
        return document

    def _turn_document(self, call_sid: str, turn: int, lines: Sequence[str], expecting: Optional[str]) -> str:
        """The bot's written lines, said for the ear (how to answer comes after the last), then listening."""
        lines = [line for line in lines if line.strip()] or ["Is there anything else I can help with?"]
        spoken = [for_the_ear(line) for line in lines[:-1]] + [for_the_ear(lines[-1], expecting)]
        return twiml.turn(spoken,
                          self.url("gather", call=call_sid, turn=turn + 1), hints=self.parts.hints,
                          expecting=expecting)

    # -- the call's status ---------------------------------------------------------------------

    async def status(self, form: RequestParameters) -> HTTPResponse:
        """Twilio's report on the call: a final status ends it here too (nothing more is said on it)."""
        call_sid, state = form.get("CallSid") or "", (form.get("CallStatus") or "").strip()
        if not is_call_sid(call_sid) or not state:
            return response.text("CallSid and CallStatus are needed in a call status callback", status=400)
        if state in FINAL_STATUSES:
            call = await asyncio.to_thread(self.parts.calls.get, call_sid)
            if call is not None and await asyncio.to_thread(self.parts.calls.ended, call_sid, state, self.parts.now()):
                await asyncio.to_thread(self.parts.audit, call.conversation_id, "call_ended",
                                        {"call_sid": call_sid, "status": state, "turns": call.turn,
                                         "duration": form.get("CallDuration")})
                if call.stage == TRANSFER and self.parts.transfers is not None:
                    await self.parts.transfers.caller_hung_up(call)
        return response.empty()

    def _number(self, sender: str) -> str:
        try:
            return e164(sender, self.parts.phone_region)
        except NotAPhoneNumber as unreadable:
            raise BadCall(f"From can't be read as a phone number: {unreadable}") from None
