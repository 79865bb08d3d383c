"""One call played as Twilio plays it: ring, fetch TwiML, follow its verbs, wait where a person would.

``<Say>`` text and ``<Play>`` URLs are recorded (audio is never fetched), ``<Pause>`` takes no
time, ``<Redirect>`` and every ``action`` are signed requests resolved against the current
document's URL. ``<Gather>`` waits for the test (``answer``, ``press``, ``silence``) or a
scripted person; ``<Dial><Conference>`` waits in the conference until it ends, ``*`` is pressed
under ``hangupOnStar``, the call is redirected or hung up; then the Dial ``action`` is requested.
"""

from __future__ import annotations

from collections import deque
from typing import Optional, Union
from urllib.parse import urljoin

from devtools.fake_twilio.resources import new_sid
from devtools.fake_twilio.twiml import Document, Element
from devtools.fake_twilio.voice import Behaviour, VoiceEngine
from devtools.fake_twilio.voice_model import Command, Conference, Leg, Participant, words

Next = Optional[tuple[Document, str]]
CONTINUE = "continue"
Step = Union[Next, str]


class CallPlayer:
    def __init__(self, engine: VoiceEngine, leg: Leg, behaviour: Optional[Behaviour] = None) -> None:
        self.engine = engine
        self.leg = leg
        self.behaviour = behaviour or Behaviour()
        self.scripted: deque[Command] = deque(self.behaviour.inputs)

    @property
    def machine(self) -> bool:
        return self.behaviour.kind == "voicemail"

    # -- entry points --------------------------------------------------------------------------
    def inbound(self, url: str, method: str) -> None:
        """A call to the account's number: Twilio asks the voice URL while the phone rings."""
        self.engine.progress(self.leg, "ringing", "ringing")
        document = self.engine.fetch_twiml(self.leg, "voice url", url, method, self.leg.params())
        if document is None:
            self.engine.finish(self.leg, "completed")
            return
        if document.verbs and document.verbs[0].name == "Reject":
            self.engine.finish(self.leg, "busy")
            return
        self.engine.progress(self.leg, "answered", "in-progress")
        self.play_all(document, url)

    def outbound(self, first: tuple, timeout: int, amd: Optional[dict[str, str]] = None) -> None:
        """A call the REST API created: ring the callee as set for its number, then play ``first``:
        ``("url", url, method)``, ``("twiml", xml)`` or ``("conference", conference, participant)``."""
        if not self.ring(timeout):
            return
        self.answered(amd or {})
        if first[0] == "conference":
            _, conference, participant = first
            self.engine.join(self.leg, conference, participant)
            outcome = self.stay_in_conference(conference, participant, None)
            if isinstance(outcome, tuple):
                self.play_all(*outcome)
            elif not self.leg.ended:
                self.engine.finish(self.leg, "completed")
            return
        if first[0] == "twiml":
            document, url = self.engine.read_twiml(self.leg, first[1], "Twiml"), ""
        else:
            params = self.leg.params()
            if amd and amd.get("AsyncAmd", "false") != "true" and self.leg.answered_by:
                params["AnsweredBy"] = self.leg.answered_by
            document, url = self.engine.fetch_twiml(self.leg, "call url", first[1], first[2], params), first[1]
        if document is None:
            self.engine.finish(self.leg, "completed")
            return
        self.play_all(document, url)

    def ring(self, timeout: int) -> bool:
        """True once answered; otherwise the leg ended busy, no-answer, failed or canceled."""
        leg, kind = self.leg, self.behaviour.kind
        self.engine.progress(leg, "initiated", "queued", "initiated")
        leg.note("dialling", leg.to)
        if kind == "fails":
            self.engine.finish(leg, "failed")
            return False
        self.engine.progress(leg, "ringing", "ringing")
        if kind == "declines":
            self.engine.finish(leg, "busy")
            return False
        if kind in ("no-answer", "rings"):
            scaled = kind == "no-answer"
            while True:
                command = self.engine.wait_command(leg, "ringing", timeout * (self.engine.time_scale if scaled else 1),
                                                   idle=not scaled)
                if command is None:
                    self.engine.finish(leg, "no-answer")
                    return False
                if command.kind == "pick-up":
                    return True
                if command.kind == "decline":
                    self.engine.finish(leg, "busy")
                    return False
                if command.kind in ("end", "hang-up"):
                    self.engine.finish(leg, "canceled")
                    return False
        pending = self.take_command()
        if pending is not None and pending.kind in ("end", "hang-up"):
            self.engine.finish(leg, "canceled")
            return False
        return True

    def answered(self, amd: dict[str, str]) -> None:
        leg = self.leg
        if amd.get("MachineDetection"):
            if self.machine:
                leg.answered_by = self.behaviour.answered_by or (
                    "machine_end_beep" if amd["MachineDetection"] == "DetectMessageEnd" else "machine_start")
            else:
                leg.answered_by = self.behaviour.answered_by or "human"
        leg.note("answered", leg.answered_by or "")
        self.engine.progress(leg, "answered", "in-progress")
        if amd.get("MachineDetection") and amd.get("AsyncAmd") == "true":
            self.engine.post_callback(amd.get("AsyncAmdStatusCallback"), amd.get("AsyncAmdStatusCallbackMethod", "POST"), {
                "AccountSid": leg.account_sid, "CallSid": leg.sid, "AnsweredBy": leg.answered_by or "unknown",
                "MachineDetectionDuration": "2100" if self.machine else "1200",
            })
        if self.behaviour.hang_up_after is not None:
            self.engine.later(self.behaviour.hang_up_after, lambda: self.engine.push(leg, Command("hang-up")))

    # -- the document --------------------------------------------------------------------------
    def play_all(self, document: Optional[Document], url: str) -> None:
        following: Next = (document, url) if document is not None else None
        while following is not None and not self.leg.ended:
            following = self.play(*following)
        if not self.leg.ended:
            self.engine.finish(self.leg, "completed")

    def play(self, document: Document, url: str) -> Next:
        for verb in document.verbs:
            interrupt = self.take_command()
            if interrupt is not None:
                step = self.interrupted(interrupt, url)
                if step != CONTINUE:
                    return step  # type: ignore[return-value]
            step = self.verb(verb, url)
            if step != CONTINUE:
                return step  # type: ignore[return-value]
        return None

    def verb(self, verb: Element, url: str) -> Step:
        name = verb.name
        if name == "Play" and verb.get("loop") == "0":
            self.hear(verb)
            return self.play_forever(url)
        if name in ("Say", "Play", "Pause"):
            self.hear(verb)
            return CONTINUE
        if name == "Redirect":
            return self.fetch("redirect", urljoin(url, verb.text), verb.get("method", "POST"), url)
        if name == "Hangup":
            self.engine.finish(self.leg, "completed")
            return None
        if name == "Reject":
            self.engine.finish(self.leg, "busy")
            return None
        if name == "Gather":
            return self.gather(verb, url)
        if name == "Dial":
            return self.dial(verb, url)
        if name == "Record":
            self.leg.note("recorded", "0 seconds")
            action = verb.get("action")
            if action is None:
                return CONTINUE
            params = {**self.leg.params(), "RecordingUrl": f"https://api.twilio.com/fake/{new_sid('RE')}",
                      "RecordingSid": new_sid("RE"), "RecordingDuration": "0", "Digits": "hangup"}
            return self.fetch("record action", urljoin(url, action), verb.get("method", "POST"), url, params)
        raise AssertionError(f"the checker let <{name}> through")

    def hear(self, verb: Element) -> None:
        with self.engine.cond:
            if verb.name == "Say":
                self.leg.said.append(verb.spoken())
                self.leg.note("said", verb.spoken())
            elif verb.name == "Play":
                self.leg.played.append(verb.text or f"digits {verb.get('digits')}")
                self.leg.note("played", verb.text or f"digits {verb.get('digits')}")
            elif verb.name == "Pause":
                self.leg.note("paused", f"{verb.get('length', '1')}s")
            self.engine.cond.notify_all()

    def fetch(self, purpose: str, url: str, method: str, current: str,
              params: Optional[dict[str, str]] = None) -> Next:
        document = self.engine.fetch_twiml(self.leg, purpose, url, method, params or self.leg.params())
        if document is None:
            self.engine.finish(self.leg, "completed")
            return None
        return document, url

    def take_command(self) -> Optional[Command]:
        with self.engine.cond:
            return self.leg.commands.popleft() if self.leg.commands else None

    def interrupted(self, command: Command, url: str) -> Step:
        """What a hang-up, an API update or a stray key press does between or during verbs."""
        leg = self.leg
        if command.kind == "hang-up":
            leg.note("hung up", "by the caller")
            self.engine.finish(leg, "completed")
            return None
        if command.kind == "end":
            leg.note("ended by the API", command.values["status"])
            self.engine.finish(leg, "completed")
            return None
        if command.kind == "redirect":
            if leg.conference is not None:
                self.engine.leave(leg, "participant_updated_via_api")
            if "twiml" in command.values:
                document = self.engine.read_twiml(leg, command.values["twiml"], "Twiml update")
                return (document, url) if document is not None else self.fetch_failed()
            return self.fetch("call update", command.values["url"], command.values["method"], url)
        leg.note("ignored", f"{command.kind} {command.values or ''}".strip())
        return CONTINUE

    def play_forever(self, url: str) -> Step:
        """``<Play loop="0">``: the music goes on until the call is redirected, ended or hung up, as
        Twilio loops it for ever; the leg waits for that (``waiting_for == "music"``)."""
        while True:
            command = self.engine.wait_command(self.leg, "music")
            if command is None:  # the fake is closing
                self.engine.finish(self.leg, "completed")
                return None
            step = self.interrupted(command, url)
            if step != CONTINUE:
                return step

    def fetch_failed(self) -> None:
        self.engine.finish(self.leg, "completed")
        return None

    # -- <Gather> ------------------------------------------------------------------------------
    def gather(self, verb: Element, url: str) -> Step:
        leg = self.leg
        for child in verb.children:
            self.hear(child)
        expects = tuple(verb.get("input", "dtmf").split())
        leg.note("gather", " ".join(expects))
        with self.engine.cond:
            leg.gather_input = expects
            leg.gather_keys = (int(verb.get("numDigits") or 0) or None, verb.get("finishOnKey", "#") or "")
        if self.scripted:
            command: Optional[Command] = self.scripted.popleft()
        elif self.machine:  # says nothing; its Gather times out for real, giving the app time to hang up
            command = self.engine.wait_command(leg, "gather", int(verb.get("timeout", "5"))) or Command("input", {})
        else:
            command = self.engine.wait_command(leg, "gather") or Command("hang-up")
        with self.engine.cond:
            leg.gather_input = ()
        if command.kind != "input":
            return self.interrupted(command, url)
        params = leg.params()
        digits, speech = command.values.get("digits"), command.values.get("speech")
        if digits is not None:
            finish = verb.get("finishOnKey", "#")
            if finish and finish in digits:
                digits = digits[: digits.index(finish)]
            if verb.get("numDigits"):
                digits = digits[: int(verb.get("numDigits") or 0)]
            params["Digits"] = digits
            leg.note("input", f"pressed {digits}")
        elif speech is not None:
            params["SpeechResult"] = speech
            params["Confidence"] = command.values.get("confidence", "0.9")
            leg.note("input", f"said {speech!r}")
        else:
            leg.note("input", "silence")
            if not verb.flag("actionOnEmptyResult"):
                return CONTINUE
        action = urljoin(url, verb.get("action") or url)
        return self.fetch("gather action", action, verb.get("method", "POST"), url, params)

    # -- <Dial> --------------------------------------------------------------------------------
    def dial(self, verb: Element, url: str) -> Step:
        noun = verb.child("Conference")
        with self.engine.cond:
            self.leg.hangup_on_star = verb.flag("hangupOnStar")
        if noun is not None:
            outcome = self.join_conference(noun, url)
        else:
            outcome = self.dial_number(verb)
        with self.engine.cond:
            self.leg.hangup_on_star = False
        if isinstance(outcome, tuple) or outcome is None:
            return outcome
        dial_status, extra = outcome, {}
        if "|" in dial_status:
            dial_status, child_sid, seconds = dial_status.split("|")
            extra = {"DialCallSid": child_sid, "DialCallDuration": seconds, "DialBridged": "true" if seconds else "false"}
        action = verb.get("action")
        self.leg.note("dial ended", dial_status)
        if action is None:
            return None if self.leg.ended else CONTINUE
        params = {**self.leg.params(), "DialCallStatus": dial_status, **extra}
        if self.leg.ended:  # Twilio still tells the action URL; what it answers is not played
            self.engine.fetch_twiml(self.leg, "dial action", urljoin(url, action), verb.get("method", "POST"), params)
            return None
        return self.fetch("dial action", urljoin(url, action), verb.get("method", "POST"), url, params)

    def join_conference(self, noun: Element, url: str) -> Union[Next, str]:
        conference = self.engine.conference_named(noun.text)
        participant = Participant(
            self.leg.sid, conference.sid, self.leg.account_sid, self.engine.state.clock.now(),
            label=noun.get("participantLabel"),
            start_conference_on_enter=noun.flag("startConferenceOnEnter", True),
            end_conference_on_exit=noun.flag("endConferenceOnExit", False),
            muted=noun.flag("muted"),
            coaching=noun.get("coach") is not None,
            call_sid_to_coach=noun.get("coach"),
        )
        callback = None
        if noun.get("statusCallback"):
            callback = (urljoin(url, noun.get("statusCallback") or ""), noun.get("statusCallbackMethod", "POST"),
                        words([noun.get("statusCallbackEvent", "start end")]))
        self.engine.join(self.leg, conference, participant, callback)
        wait = noun.get("waitUrl")
        return self.stay_in_conference(conference, participant,
                                       (urljoin(url, wait) if wait else wait, noun.get("waitMethod", "POST")))

    def stay_in_conference(self, conference: Conference, participant: Participant,
                           wait: Optional[tuple[Optional[str], str]]) -> Union[Next, str]:
        """Wait in the conference; ``"completed"`` when the Dial ends, a document when redirected."""
        leg = self.leg
        if conference.status == "init":
            self.background("wait url", *(wait or (None, "POST")))
        while True:
            command = self.engine.wait_command(leg, "conference")
            if command is None or command.kind in ("conference-ended", "kicked"):
                return "completed"
            if command.kind == "star" and leg.hangup_on_star:
                leg.note("left", f"{conference.friendly_name} (pressed *)")
                self.engine.leave(leg, "participant_hung_up_with_star")
                return "completed"
            if command.kind == "hold":
                self.background("hold url", command.values.get("url"), command.values.get("method", "GET"))
            elif command.kind == "unhold":
                leg.note("unhold", conference.friendly_name)
            elif command.kind == "announce":
                self.background("announce url", command.values["url"], command.values.get("method", "POST"))
            elif command.kind in ("hang-up", "end", "redirect"):
                step = self.interrupted(command, "")
                return "completed" if step is None else step  # type: ignore[return-value]
            else:
                leg.note("ignored", f"{command.kind} {command.values or ''} in the conference".strip())

    def background(self, purpose: str, url: Optional[str], method: str) -> None:
        """Wait music, hold music or an announcement: its Say and Play are heard, nothing else runs."""
        if url is None:
            self.leg.note(purpose.replace(" url", " music"), "Twilio's default")
            return
        if url == "":
            self.leg.note(purpose.replace(" url", " music"), "silence")
            return
        document = self.engine.fetch_twiml(self.leg, purpose, url, method, self.leg.params())
        for verb in document.verbs if document else ():
            if verb.name in ("Say", "Play", "Pause"):
                self.hear(verb)
            else:
                self.leg.note("ignored", f"<{verb.name}> in the {purpose}")

    def dial_number(self, verb: Element) -> Union[Next, str]:
        """``<Dial>`` to a number (or client, SIP): a child leg rung as set for that number."""
        nouns = [c for c in verb.children if c.name in ("Number", "Client", "Sip")]
        target = verb.text or (nouns[0].text if nouns else "")
        engine, leg = self.engine, self.leg
        child = Leg(new_sid("CA"), leg.account_sid, verb.get("callerId") or leg.from_, target, "outbound-dial",
                    engine.state.clock.now(), parent_call_sid=leg.sid)
        with engine.cond:
            engine.legs[child.sid] = child
            child.waiting, child.idle = "ended", True
        leg.note("dialled", target)
        behaviour = engine.behaviour(target)
        engine.progress(child, "ringing", "ringing")
        if behaviour.kind in ("fails", "declines"):
            engine.finish(child, "failed" if behaviour.kind == "fails" else "busy")
            return child.status
        if behaviour.kind in ("no-answer", "rings"):
            command = engine.wait_command(leg, "dialling", int(verb.get("timeout", "30")) * engine.time_scale,
                                          idle=False)
            if command is None:
                engine.finish(child, "no-answer")
                return "no-answer"
            engine.finish(child, "canceled")
            step = self.interrupted(command, "")
            return "canceled" if step in (None, CONTINUE) else step  # type: ignore[return-value]
        engine.progress(child, "answered", "in-progress")
        while True:
            command = engine.wait_command(leg, "dialled") or Command("hang-up")
            if command.kind == "star" and not leg.hangup_on_star:
                continue
            engine.finish(child, "completed")
            outcome = f"completed|{child.sid}|{child.duration() or 0}"
            if command.kind in ("star", "other-hung-up"):
                return outcome
            step = self.interrupted(command, "")
            return outcome if step in (None, CONTINUE) else step  # type: ignore[return-value]
