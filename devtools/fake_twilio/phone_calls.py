"""Calls as a test plays them: a caller who listens, speaks, presses keys and hangs up, and
phones that answer, decline, ring out or go to voicemail.

    call = fake.place_call("+15550100001", fake.voice_number, "https://bot.example/webhooks/voice/webhook")
    assert call.said() == ["Hi, how can I help?"]
    call.answer(speech="where is my order", confidence=0.92)
    call.press("1")
    call.hang_up()

Every action returns once the fake has settled (each call waits for the test or has ended, each
status callback has gone out), so the next line can assert. A call whose application broke it
(unreachable, an HTTP error, invalid TwiML) raises ``CallError`` with the reason.
"""

from __future__ import annotations

from typing import Any, Optional

from devtools.fake_twilio.call_player import CallPlayer
from devtools.fake_twilio.resources import new_sid
from devtools.fake_twilio.voice import Behaviour, CallError, VoiceEngine
from devtools.fake_twilio.voice_model import CallEvent, Command, Leg, TwimlFetch

DTMF = set("0123456789*#")


class PhoneCall:
    """One call (a leg) as the test sees it; ``fake.place_call`` or ``fake.call_to`` give one."""

    def __init__(self, engine: VoiceEngine, sid: str, timeout: float = 10.0) -> None:
        self._engine = engine
        self.sid = sid
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"PhoneCall({self.sid}, {self.to}, {self.state})"

    @property
    def _leg(self) -> Leg:
        leg = self._engine.leg(self.sid)
        assert leg is not None
        return leg

    def _read(self, read: Any) -> Any:
        return self._engine.snapshot(lambda: read(self._leg))

    # -- what the call is doing ----------------------------------------------------------------
    @property
    def to(self) -> str:
        return self._leg.to

    @property
    def from_(self) -> str:
        return self._leg.from_

    @property
    def state(self) -> str:
        """``ringing``, ``in-progress``, ``in-conference <name>``, or how it ended (``completed``,
        ``busy``, ``no-answer``, ``canceled``, ``failed``)."""
        return self._read(lambda leg: leg.place)

    @property
    def status(self) -> str:
        """The Call resource's ``status``."""
        return self._read(lambda leg: leg.status)

    @property
    def waiting_for(self) -> Optional[str]:
        """``gather`` (input), ``conference``, ``ringing``, ``dialled``; None while busy or ended."""
        return self._read(lambda leg: None if leg.ended or not leg.idle else leg.waiting)

    @property
    def on_hold(self) -> bool:
        """Held in its conference through the Participants API."""
        return self._engine.snapshot(lambda: any(
            c.participants[self.sid].hold for c in self._engine.conferences.values() if self.sid in c.participants))

    @property
    def answered_by(self) -> Optional[str]:
        return self._read(lambda leg: leg.answered_by)

    @property
    def error(self) -> Optional[str]:
        """Why the call's application broke it (unreachable, HTTP error, invalid TwiML), or None."""
        return self._read(lambda leg: leg.error)

    @property
    def resource(self) -> dict[str, Any]:
        return self._read(lambda leg: leg.resource())

    def said(self) -> list[str]:
        """The ``<Say>`` texts heard since the caller last answered, pressed or stayed silent."""
        return self._read(lambda leg: list(leg.said[leg.said_mark:]))

    def said_all(self) -> list[str]:
        """Every ``<Say>`` text heard on this call, oldest first (wait and hold music too)."""
        return self._read(lambda leg: list(leg.said))

    def played(self) -> list[str]:
        return self._read(lambda leg: list(leg.played))

    @property
    def timeline(self) -> list[str]:
        """The call's events as text: ``"said Hello"``, ``"gather speech dtmf"``, ``"joined transfer-7"``..."""
        return [str(event) for event in self.events]

    @property
    def events(self) -> list[CallEvent]:
        return self._read(lambda leg: list(leg.timeline))

    @property
    def documents(self) -> list[TwimlFetch]:
        """Every TwiML document fetched for this call, in order."""
        return self._engine.documents_for([self.sid])

    # -- what the caller (or the person answering) does ---------------------------------------
    def answer(self, speech: str, confidence: float = 0.92) -> "PhoneCall":
        """Say ``speech`` at the ``<Gather>`` the call waits at (it must listen for speech)."""
        self._at_gather("speech", f"say {speech!r}")
        return self._act(Command("input", {"speech": speech, "confidence": f"{confidence:.2f}"}))

    def press(self, digits: str) -> "PhoneCall":
        """Press keys: at a ``<Gather>`` listening for dtmf they are its input; in a conference or a
        bridged ``<Dial>``, ``*`` leaves when the Dial has ``hangupOnStar``."""
        if not digits or not set(digits) <= DTMF:
            raise ValueError(f"press takes keypad keys 0-9, * and #, got {digits!r}")
        waiting = self.waiting_for
        if waiting == "gather":
            self._at_gather("dtmf", f"press {digits}")
            return self._act(Command("input", {"digits": digits}))
        if waiting in ("conference", "dialled"):
            return self._act(Command("star" if digits == "*" else "dtmf", {"digits": digits}))
        raise CallError(f"call {self.sid} is {self.state} (waiting for {waiting or 'nothing'}): no keypad to press")

    def silence(self) -> "PhoneCall":
        """Say nothing until the ``<Gather>`` times out."""
        self._at_gather(None, "stay silent")
        return self._act(Command("input", {}))

    def hang_up(self) -> "PhoneCall":
        leg = self._leg
        if leg.ended:
            raise CallError(f"call {self.sid} already ended ({leg.status})")
        if leg.direction == "outbound-dial" and leg.parent_call_sid:
            parent = self._engine.leg(leg.parent_call_sid)
            assert parent is not None
            self._engine.push(parent, Command("other-hung-up"))
            return self.settle()
        return self._act(Command("hang-up"), mark=False)

    def pick_up(self) -> "PhoneCall":
        """Answer a call that rings (``fake.callee(number).rings()``)."""
        if self.waiting_for != "ringing":
            raise CallError(f"call {self.sid} is {self.state}, not ringing")
        return self._act(Command("pick-up"), mark=False)

    def decline(self) -> "PhoneCall":
        """Reject a call that rings (``fake.callee(number).rings()``): it ends ``busy``."""
        if self.waiting_for != "ringing":
            raise CallError(f"call {self.sid} is {self.state}, not ringing")
        return self._act(Command("decline"), mark=False)

    # -- waiting -------------------------------------------------------------------------------
    def settle(self) -> "PhoneCall":
        self._engine.settle(self.timeout)
        error = self.error
        if error:
            raise CallError(f"call {self.sid} to {self.to} failed: {error}")
        return self

    def wait_until(self, state: str, timeout: Optional[float] = None) -> "PhoneCall":
        """Wait until ``state`` (e.g. ``"in-conference transfer-7"``, ``"completed"``), then settle."""
        self._engine.wait_for(lambda: self._leg.place == state, f"call {self.sid} to be {state} "
                              f"(it is {self.state})", timeout or self.timeout)
        return self.settle()

    def _at_gather(self, needs: Optional[str], doing: str) -> None:
        leg = self._leg
        waiting, expects = self._engine.snapshot(lambda: (leg.waiting if leg.idle else None, leg.gather_input))
        if waiting != "gather":
            raise CallError(f"call {self.sid} is {self.state} (waiting for {waiting or 'nothing'}), not at a "
                            f"<Gather>: it cannot {doing}")
        if needs is not None and needs not in expects:
            raise CallError(f"the <Gather> on call {self.sid} listens for {' '.join(expects)}, not {needs}: "
                            f"it cannot {doing}")

    def _act(self, command: Command, mark: bool = True) -> "PhoneCall":
        leg = self._leg
        with self._engine.cond:
            if mark:
                leg.said_mark = len(leg.said)
            self._engine.push(leg, command)
        return self.settle()


class Callee:
    """How the phone at ``number`` answers the calls the fake rings (REST calls, participants,
    ``<Dial>``); by default it answers and waits for the test at each ``<Gather>``."""

    def __init__(self, engine: VoiceEngine, number: str) -> None:
        self._engine = engine
        self.number = number

    def _set(self, behaviour: Behaviour) -> "Callee":
        with self._engine.cond:
            self._engine.behaviours[self.number] = behaviour
        return self

    def answers(self, press: Optional[str] = None, say: Optional[str] = None, confidence: float = 0.92) -> "Callee":
        """Answers; with ``press`` or ``say``, does that at the first ``<Gather>`` by itself."""
        inputs = []
        if press is not None:
            inputs.append(Command("input", {"digits": press}))
        if say is not None:
            inputs.append(Command("input", {"speech": say, "confidence": f"{confidence:.2f}"}))
        return self._set(Behaviour("answers", tuple(inputs)))

    def declines(self) -> "Callee":
        """Rejects the call: it ends ``busy``."""
        return self._set(Behaviour("declines"))

    def no_answer(self) -> "Callee":
        """Never answers: the call ends ``no-answer`` after its ``Timeout`` scaled by ``time_scale``."""
        return self._set(Behaviour("no-answer"))

    def rings(self) -> "Callee":
        """Rings until the test picks up or declines (``fake.call_to(number).pick_up()``, ``.decline()``),
        the app cancels it, or its unscaled ``Timeout`` passes (``no-answer``): the demo phone's people."""
        return self._set(Behaviour("rings"))

    def voicemail(self, answered_by: Optional[str] = None) -> "Callee":
        """A machine answers: ``AnsweredBy`` is ``machine_start`` (``MachineDetection=Enable``) or
        ``machine_end_beep`` (``DetectMessageEnd``), as Twilio reports; it never presses or speaks."""
        return self._set(Behaviour("voicemail", answered_by=answered_by))

    def fails(self) -> "Callee":
        return self._set(Behaviour("fails"))

    def hangs_up_after(self, seconds: float, press: Optional[str] = None) -> "Callee":
        """Answers (pressing ``press`` at the first ``<Gather>``), then hangs up ``seconds`` later."""
        inputs = (Command("input", {"digits": press}),) if press is not None else ()
        return self._set(Behaviour("answers", inputs, hang_up_after=seconds))


def start_inbound_call(engine: VoiceEngine, from_: str, to: str, url: str, method: str = "POST",
                       status_callback: Optional[str] = None, status_callback_method: str = "POST") -> str:
    """A phone calls the account's number ``to``: its thread asks ``url`` for TwiML, as Twilio asks
    the number's voice URL. Returns the call's SID at once; the call plays on by itself."""
    leg = Leg(new_sid("CA"), engine.state.account_sid, from_, to, "inbound", engine.state.clock.now())
    leg.status_callback = status_callback or None
    leg.status_callback_method = status_callback_method.upper()
    player = CallPlayer(engine, leg)
    engine.start_leg(leg, lambda: player.inbound(url, method.upper()))
    return leg.sid
