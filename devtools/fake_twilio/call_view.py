"""What the demo phone shows of a call: every ``<Say>`` heard, what is happening, and where a
warm transfer stands, for the caller and for the person whose phone the shop rings.

The page hears nothing: it reads every Say, in order. ``state`` says what the line is doing
("listening", "on hold: music", "in a conference with Jane Doe (+15550100001)", "ringing",
"ended: completed"); ``phase`` says where the call stands in a transfer: the caller is "with the
assistant", "on hold", "connected with a person", then "back with the assistant"; the person's
phone is "ringing", "briefing", "in the call", then "ended".
"""

from __future__ import annotations

import ast
from typing import Any, Mapping, Optional

from devtools.fake_twilio.voice import VoiceEngine
from devtools.fake_twilio.voice_model import Conference, Leg


def keypad(held: str, key: str, num_digits: Optional[int], finish_on_key: str) -> tuple[str, Optional[str]]:
    """A key pressed at a ``<Gather>`` listening for keys: ``(keys still held, keys to send now)``.

    Twilio sends the keys when the finish key is pressed (``#`` unless the Gather says otherwise)
    or ``numDigits`` keys are in; until then the page holds them, as the phone network does."""
    if finish_on_key and key == finish_on_key:
        return "", held + key
    held += key
    if num_digits and len(held) >= num_digits:
        return "", held
    return held, None


def who(number: str, names: Mapping[str, str]) -> str:
    name = names.get(number)
    return f"{name} ({number})" if name else number


def far_end(leg: Leg) -> str:
    """The number at the other end of ``leg`` from the shop: the caller, or the phone it rang."""
    return leg.from_ if leg.direction == "inbound" else leg.to


def describe(engine: VoiceEngine, leg: Leg, names: Mapping[str, str], held_keys: str = "") -> dict[str, Any]:
    """The call as the page shows it; call with ``engine.cond`` held (``engine.snapshot``)."""
    conference = engine.find_conference(leg.conference, include_ended=False) if leg.conference else None
    participant = conference.participants.get(leg.sid) if conference else None
    on_hold = participant is not None and (participant.hold or conference is not None and conference.status == "init")
    listening = not leg.ended and leg.idle and leg.waiting == "gather"
    return {
        "sid": leg.sid,
        "from": leg.from_,
        "to": leg.to,
        "direction": leg.direction,
        "status": leg.status,
        "state": _state(engine, leg, conference, on_hold, listening, names),
        "phase": _phase(leg, conference is not None, on_hold),
        "said": list(leg.said),
        "transcript": transcript(leg),
        "played": list(leg.played),
        "listening": {
            "speech": "speech" in leg.gather_input,
            "keys": "dtmf" in leg.gather_input,
            "num_digits": leg.gather_keys[0],
            "finish_on_key": leg.gather_keys[1],
        } if listening else None,
        "ringing": not leg.ended and leg.idle and leg.waiting == "ringing",
        "conference": None if conference is None else {
            "name": conference.friendly_name,
            "with": _others(engine, conference, leg, names),
            "on_hold": on_hold,
            "hang_up_on_star": leg.hangup_on_star,
        },
        "keys": held_keys if listening else "",
        "ended": leg.ended,
        "error": leg.error,
    }


#: What the line does, in the transcript's words (the timeline's ``kind``).
LINE_EVENTS = {"joined": "joined {}", "left": "left {}", "hold": "put on hold", "unhold": "taken off hold",
               "answered": "answered", "ended": "call ended: {}"}


def transcript(leg: Leg) -> list[dict[str, str]]:
    """The call as the page reads it: each Say heard (``shop``), what the page's side said or
    pressed (``me``), and what the line did (``line``: music, conferences, hold, the end)."""
    lines: list[dict[str, str]] = []
    for event in leg.timeline:
        if event.kind == "said":
            lines.append({"who": "shop", "text": event.detail})
        elif event.kind == "input":
            lines.append({"who": "me", "text": _input(event.detail)})
        elif event.kind == "played" and (not lines or lines[-1]["text"] != "♪ music"):
            lines.append({"who": "line", "text": "♪ music"})
        elif event.kind in LINE_EVENTS:
            lines.append({"who": "line", "text": LINE_EVENTS[event.kind].format(event.detail)})
    return lines


def _input(detail: str) -> str:
    if detail.startswith("said "):
        try:
            return str(ast.literal_eval(detail[len("said "):]))
        except (ValueError, SyntaxError):
            return detail[len("said "):]
    return "(silence)" if detail == "silence" else detail


def _others(engine: VoiceEngine, conference: Conference, leg: Leg, names: Mapping[str, str]) -> list[str]:
    others = (engine.legs.get(sid) for sid in conference.participants if sid != leg.sid)
    return [who(far_end(other), names) for other in others if other is not None]


def _state(engine: VoiceEngine, leg: Leg, conference: Optional[Conference], on_hold: bool, listening: bool,
           names: Mapping[str, str]) -> str:
    if leg.ended:
        return f"ended: {leg.status}"
    if leg.status in ("queued", "ringing"):
        return "ringing"
    if conference is not None:
        if on_hold:
            return "on hold: music"
        others = _others(engine, conference, leg, names)
        return f"in a conference with {', '.join(others)}" if others else "in a conference, alone"
    if listening:
        return "listening" if "speech" in leg.gather_input else "listening for keys"
    if leg.idle and leg.waiting == "dialled":
        return "in a call it dialled"
    return "waiting for the other side"


def _phase(leg: Leg, in_conference: bool, on_hold: bool) -> str:
    person = leg.direction != "inbound"
    if leg.ended:
        return "ended"
    if leg.status in ("queued", "ringing"):
        return "ringing"
    if in_conference:
        return "on hold" if on_hold else "in the call" if person else "connected with a person"
    if any(event.kind == "joined" for event in leg.timeline):
        return "left the call" if person else "back with the assistant"
    return "briefing" if person else "with the assistant"
