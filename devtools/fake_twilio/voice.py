"""The fake's phone network: calls, who answers them, conferences, and the webhooks Twilio sends.

Every call (a ``Leg``) plays in a thread of its own (``call_player``), so a call waiting at a
``<Gather>`` or in a conference never holds up the REST API or another call. Everything shared
is guarded by one condition variable; no lock is held while a webhook is out, so the application
may call the REST API from inside its webhook handlers, as it does with Twilio.

Status callbacks (call progress, conference events, answering machine detection) leave through
one ordered outbox thread; TwiML is fetched by the call's own thread, which needs the answer.
``settle()`` waits until every call is either waiting for the test or ended and the outbox is
empty: the moment a test can assert on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

from devtools.fake_twilio import webhooks
from devtools.fake_twilio.resources import new_sid, rfc2822
from devtools.fake_twilio.state import FakeState
from devtools.fake_twilio.twiml import Document, InvalidTwiml, parse_twiml
from devtools.fake_twilio.voice_model import (
    Command,
    Conference,
    Leg,
    Participant,
    TwimlFetch,
)


class CallError(RuntimeError):
    """A call could not do what the test asked, or its application broke it; says which and why."""


@dataclass(frozen=True)
class Behaviour:
    """How the phone at a number answers a call the fake rings.

    ``kind``: ``answers``, ``declines`` (busy), ``no-answer`` (rings out after the call's
    ``Timeout``, scaled by ``time_scale``), ``voicemail`` (a machine answers), ``rings`` (until a test or
    the demo phone picks up or declines, the app cancels, or the unscaled ``Timeout`` passes) or ``fails``.
    ``inputs``: what the person does at each ``<Gather>`` in turn before the test takes over.
    ``hang_up_after``: seconds after answering when the person hangs up.
    """

    kind: str = "answers"
    inputs: tuple[Command, ...] = ()
    hang_up_after: Optional[float] = None
    answered_by: Optional[str] = None


@dataclass(frozen=True)
class Callback:
    url: str
    method: str
    params: dict[str, str]


class VoiceEngine:
    def __init__(self, state: FakeState, time_scale: float = 0.01) -> None:
        self.state = state
        #: Simulated waits (a ``Timeout`` ringing out, a machine's silence) last this fraction of their seconds.
        self.time_scale = time_scale
        self.cond = threading.Condition(threading.RLock())
        self.legs: dict[str, Leg] = {}
        self.conferences: dict[str, Conference] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.documents: list[TwimlFetch] = []
        self._outbox: deque[Callback] = deque()
        self._sending = 0
        self._timers = 0
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._outbox_thread = threading.Thread(target=self._drain_outbox, name="fake-twilio-callbacks", daemon=True)
        self._outbox_thread.start()

    # -- threads and waiting -------------------------------------------------------------------
    def start_leg(self, leg: Leg, run: Callable[[], None]) -> None:
        """Register ``leg`` (busy until its thread first waits) and play it in its own thread."""
        with self.cond:
            self.legs[leg.sid] = leg
            leg.waiting, leg.idle = None, False

        def guarded() -> None:
            try:
                run()
            except Exception as problem:  # a bug or a broken app must fail the call loudly, not hang the test
                with self.cond:
                    leg.error = leg.error or f"{problem.__class__.__name__}: {problem}"
                    leg.note("error", leg.error)
                if not leg.ended:
                    self.finish(leg, "failed")
            finally:
                with self.cond:
                    leg.waiting, leg.idle = "ended", True
                    self.cond.notify_all()

        thread = threading.Thread(target=guarded, name=f"call-{leg.sid[-6:]}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def push(self, leg: Leg, command: Command) -> None:
        with self.cond:
            leg.commands.append(command)
            self.cond.notify_all()

    def wait_command(self, leg: Leg, reason: str, timeout: Optional[float] = None, idle: bool = True) -> Optional[Command]:
        """Block the leg's thread until a command arrives (None after ``timeout`` or on close)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            leg.waiting, leg.idle = reason, idle
            self.cond.notify_all()
            while not leg.commands and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self.cond.wait(remaining if remaining is not None else 1.0)
            leg.waiting, leg.idle = None, False
            return leg.commands.popleft() if leg.commands else None

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``seconds``; ``settle`` waits for it."""
        with self.cond:
            self._timers += 1

        def fire() -> None:
            time.sleep(seconds)
            try:
                action()
            finally:
                with self.cond:
                    self._timers -= 1
                    self.cond.notify_all()

        threading.Thread(target=fire, name="fake-twilio-timer", daemon=True).start()

    def busy(self) -> list[str]:
        """What is still moving: legs working or with commands to read, callbacks, timers."""
        with self.cond:
            moving = [f"{leg.sid} ({leg.to}, {leg.place})" for leg in self.legs.values()
                      if leg.waiting != "ended" and (not leg.idle or leg.commands)]
            if self._outbox or self._sending:
                moving.append(f"{len(self._outbox) + self._sending} status callback(s)")
            if self._timers:
                moving.append(f"{self._timers} timer(s)")
            return moving

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every call waits for the test or has ended, and every callback went out."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.busy():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CallError(f"the fake's calls did not settle within {timeout}s: still busy: "
                                    + "; ".join(self.busy()))
                self.cond.wait(min(remaining, 0.05))

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not check():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CallError(f"waited {timeout}s for {what}")
                self.cond.wait(min(remaining, 0.05))

    def changed(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self._closed = True
            self.cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- webhooks ------------------------------------------------------------------------------
    def post_callback(self, url: Optional[str], method: str, params: dict[str, str]) -> None:
        """Queue a status callback (call progress, conference event, AMD result) for the outbox."""
        if not url:
            return
        with self.cond:
            self._outbox.append(Callback(url, method, params))
            self.cond.notify_all()

    def _drain_outbox(self) -> None:
        while True:
            with self.cond:
                while not self._outbox and not self._closed:
                    self.cond.wait(1.0)
                if self._closed and not self._outbox:
                    return
                callback = self._outbox.popleft()
                self._sending += 1
            try:
                request = webhooks.signed_request(self.state.auth_token, callback.url, callback.params,
                                                  method=callback.method)
                webhooks.deliver(self.state, request)
            finally:
                with self.cond:
                    self._sending -= 1
                    self.cond.notify_all()

    def fetch_twiml(
        self, leg: Leg, purpose: str, url: str, method: str, params: dict[str, str]
    ) -> Optional[Document]:
        """Request TwiML for ``leg`` signed as Twilio signs, check it, and record the exchange.

        None when it can't be played: the reason is recorded on the fetch and the leg."""
        request = webhooks.signed_request(self.state.auth_token, url, params, method=method)
        status, body = webhooks.deliver(self.state, request)[0]
        error: Optional[str] = None
        document: Optional[Document] = None
        if status == 0:
            error = f"{purpose} {url} could not be reached: {body}"
        elif not 200 <= status < 300:
            error = f"{purpose} {url} answered HTTP {status} (Twilio error 11200)"
        else:
            try:
                document = parse_twiml(body)
            except InvalidTwiml as problem:
                error = f"{purpose} {url} answered invalid TwiML: {problem}"
        with self.cond:
            self.documents.append(TwimlFetch(leg.sid, purpose, url, method.upper(), dict(params), status, body, error))
            leg.note("fetched", f"{purpose} {method.upper()} {url} -> {status}")
            if error:
                leg.error = error
                leg.note("application-error", error)
        return document

    def read_twiml(self, leg: Leg, xml: str, purpose: str) -> Optional[Document]:
        """TwiML given inline (``Twiml=`` on a create or update), checked and recorded like a fetch."""
        error: Optional[str] = None
        document: Optional[Document] = None
        try:
            document = parse_twiml(xml)
        except InvalidTwiml as problem:
            error = f"{purpose} is invalid TwiML: {problem}"
        with self.cond:
            self.documents.append(TwimlFetch(leg.sid, purpose, "", "", {}, 200, xml, error))
            if error:
                leg.error = error
                leg.note("application-error", error)
        return document

    # -- call lifecycle ------------------------------------------------------------------------
    def progress(self, leg: Leg, event: str, status: str, reported: Optional[str] = None) -> None:
        """Move ``leg`` to ``status`` and, if its status callback asked for ``event``, report it
        (as ``reported`` when Twilio names the step differently: ``initiated`` for a queued call)."""
        now = self.state.clock.now()
        with self.cond:
            leg.status = status
            leg.updated = now
            if status == "in-progress" and leg.start_time is None:
                leg.start_time = now
            if leg.ended:
                leg.end_time = leg.end_time or now
            leg.note("status", status)
            for conference in self.conferences.values():
                pending = conference.participants.get(leg.sid)
                if pending is not None and pending.status in ("queued", "connecting") and status == "ringing":
                    pending.status = "ringing"
            self.cond.notify_all()
            if not leg.status_callback or event not in leg.status_callback_events:
                return
            leg.callback_sequence += 1
            params = {**leg.params(reported), "CallbackSource": "call-progress-events",
                      "SequenceNumber": str(leg.callback_sequence - 1), "Timestamp": webhooks_time(now)}
            if leg.ended:
                params["CallDuration"] = str(leg.duration() or 0)
                params["Duration"] = str(((leg.duration() or 0) + 59) // 60)
            if leg.answered_by:
                params["AnsweredBy"] = leg.answered_by
            self.post_callback(leg.status_callback, leg.status_callback_method, params)

    def finish(self, leg: Leg, status: str = "completed") -> None:
        """End the call: out of its conference, ``status`` reported (Twilio's ``completed`` event)."""
        with self.cond:
            if leg.ended:
                return
            if leg.conference is not None:
                self.leave(leg, "participant_hung_up")
            self._drop_pending(leg)
            leg.note("ended", status)
            self.progress(leg, "completed", status)

    # -- conferences ---------------------------------------------------------------------------
    def find_conference(self, key: str, include_ended: bool = True) -> Optional[Conference]:
        """By SID, or by friendly name (the live one, else the latest)."""
        with self.cond:
            if key in self.conferences:
                return self.conferences[key]
            named = [c for c in self.conferences.values() if c.friendly_name == key]
            live = [c for c in named if c.status != "completed"]
            if live:
                return live[-1]
            return named[-1] if named and include_ended else None

    def conference_named(self, name: str) -> Conference:
        """The live conference called ``name``, created (status ``init``) if there is none."""
        with self.cond:
            found = self.find_conference(name, include_ended=False)
            if found is None:
                found = Conference(new_sid("CF"), self.state.account_sid, name, self.state.clock.now())
                self.conferences[found.sid] = found
            return found

    def join(self, leg: Leg, conference: Conference, participant: Participant,
             callback: Optional[tuple[str, str, Sequence[str]]] = None) -> None:
        """``leg`` enters ``conference``; the first participant giving a status callback sets it."""
        with self.cond:
            if callback is not None and conference.status_callback is None:
                conference.status_callback, conference.status_callback_method = callback[0], callback[1]
                if callback[2]:
                    conference.status_callback_events = tuple(callback[2])
            participant.status = "connected"
            participant.updated = self.state.clock.now()
            conference.participants[leg.sid] = participant
            leg.conference = conference.friendly_name
            leg.note("joined", conference.friendly_name)
            self.conference_event(conference, "participant-join", participant)
            if participant.start_conference_on_enter and conference.status == "init":
                conference.status = "in-progress"
                conference.updated = self.state.clock.now()
                self.conference_event(conference, "conference-start", participant)
            self.cond.notify_all()

    def leave(self, leg: Leg, reason: str, kicked: bool = False) -> Optional[Conference]:
        """``leg`` leaves its conference, ending it if it was the moderator or the last one in
        (Twilio's reasons say whether the participant left or was removed through the API)."""
        with self.cond:
            conference = self.find_conference(leg.conference or "", include_ended=False)
            leg.conference = None
            if conference is None or leg.sid not in conference.participants:
                return None
            participant = conference.participants.pop(leg.sid)
            participant.status = "complete"
            leg.note("left", f"{conference.friendly_name} ({reason})")
            self.conference_event(conference, "participant-leave", participant,
                                  {"ReasonParticipantLeft": reason, "ParticipantCallStatus": leg.status})
            how = "kicked" if kicked else "left"
            if participant.end_conference_on_exit:
                self.end_conference(conference, f"participant-with-end-conference-on-exit-{how}", leg.sid)
            elif not conference.participants:
                self.end_conference(conference, f"last-participant-{how}", leg.sid)
            self.cond.notify_all()
            return conference

    def _drop_pending(self, leg: Leg) -> None:
        """A leg the Participants API added ended before it joined: it leaves with its call status."""
        for conference in self.conferences.values():
            participant = conference.participants.get(leg.sid)
            if participant is None or participant.status == "connected" or conference.status == "completed":
                continue
            del conference.participants[leg.sid]
            participant.status = "failed" if leg.status == "failed" else "complete"
            self.conference_event(conference, "participant-leave", participant,
                                  {"ReasonParticipantLeft": "participant_not_answered" if leg.status != "failed"
                                   else "participant_failed", "ParticipantCallStatus": leg.status})
            if not conference.participants:
                self.end_conference(conference, "last-participant-left", leg.sid)

    def end_conference(self, conference: Conference, reason: str, by_call: Optional[str] = None) -> None:
        """Everyone still in is let go (their ``<Dial>`` ends); then ``conference-end``."""
        with self.cond:
            if conference.status == "completed":
                return
            for sid, participant in list(conference.participants.items()):
                del conference.participants[sid]
                participant.status = "complete"
                leg = self.legs.get(sid)
                if leg is not None and leg.conference == conference.friendly_name:
                    leg.conference = None
                    leg.note("left", f"{conference.friendly_name} (conference ended)")
                    self.conference_event(conference, "participant-leave", participant,
                                          {"ReasonParticipantLeft": "conference_ended",
                                           "ParticipantCallStatus": leg.status})
                    self.push(leg, Command("conference-ended", {"name": conference.friendly_name}))
            conference.status = "completed"
            conference.reason_ended, conference.call_sid_ending = reason, by_call
            conference.updated = self.state.clock.now()
            self.conference_event(conference, "conference-end", None, {"ReasonConferenceEnded": reason,
                                                                         **({"CallSidEndingConference": by_call}
                                                                            if by_call else {})})
            self.cond.notify_all()

    def conference_event(self, conference: Conference, event: str, participant: Optional[Participant],
                         extra: Optional[dict[str, str]] = None) -> None:
        with self.cond:
            conference.events.append((event, participant.call_sid if participant else None))
            if not conference.status_callback or not conference.subscribed(event):
                return
            conference.sequence += 1
            params = {
                "AccountSid": conference.account_sid,
                "ConferenceSid": conference.sid,
                "FriendlyName": conference.friendly_name,
                "SequenceNumber": str(conference.sequence),
                "StatusCallbackEvent": event,
                "Timestamp": webhooks_time(self.state.clock.now()),
                **(extra or {}),
            }
            if participant is not None:
                params.update({
                    "CallSid": participant.call_sid,
                    "Coaching": _bool(participant.coaching),
                    "EndConferenceOnExit": _bool(participant.end_conference_on_exit),
                    "Hold": _bool(participant.hold),
                    "Muted": _bool(participant.muted),
                    "StartConferenceOnEnter": _bool(participant.start_conference_on_enter),
                })
                if participant.label:
                    params["ParticipantLabel"] = participant.label
            self.post_callback(conference.status_callback, conference.status_callback_method, params)

    # -- reading -------------------------------------------------------------------------------
    def leg(self, sid: str) -> Optional[Leg]:
        with self.cond:
            return self.legs.get(sid)

    def legs_matching(self, keep: Callable[[Leg], bool]) -> list[Leg]:
        with self.cond:
            return [leg for leg in self.legs.values() if keep(leg)]

    def behaviour(self, number: str) -> Behaviour:
        with self.cond:
            return self.behaviours.get(number, Behaviour())

    def documents_for(self, sids: Iterable[str]) -> list[TwimlFetch]:
        wanted = set(sids)
        with self.cond:
            return [d for d in self.documents if d.call_sid in wanted]

    def snapshot(self, read: Callable[[], Any]) -> Any:
        with self.cond:
            return read()


def _bool(value: bool) -> str:
    return "true" if value else "false"


def webhooks_time(moment: Any) -> str:
    return rfc2822(moment)
