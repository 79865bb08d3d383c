"""What the fake remembers about phone calls and conferences, and how Twilio shows them.

A ``Leg`` is one call (Twilio's Call resource): inbound to the account, created through the REST
API, or dialled by ``<Dial>``. A ``Conference`` holds ``Participant`` entries while their calls are
in it. Each leg keeps a timeline (``CallEvent``) and every TwiML document fetched for it
(``TwimlFetch``), so a test can assert on the whole sequence. The JSON bodies follow the
``api.v2010.account.call``, ``...conference`` and ``...conference.participant`` schemas the twilio
client reads.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional, Sequence

from devtools.fake_twilio.resources import API_VERSION, rfc2822

#: Statuses after which a call does nothing more.
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
#: ``statusCallbackEvent`` words of <Conference> and the events they subscribe to.
CONFERENCE_EVENT_NAMES = {
    "start": ("conference-start",),
    "end": ("conference-end",),
    "join": ("participant-join",),
    "leave": ("participant-leave",),
    "hold": ("participant-hold", "participant-unhold"),
    "mute": ("participant-mute", "participant-unmute"),
    "modify": ("participant-modify",),
    "speaker": ("participant-speech-start", "participant-speech-stop"),
    "announcement": ("announcement-end", "announcement-fail"),
}


@dataclass(frozen=True)
class CallEvent:
    """One step of a call's timeline: ``kind`` (``ringing``, ``answered``, ``said``, ``gather``,
    ``input``, ``joined``, ``left``, ``hold``, ``ended``...) and a short ``detail``."""

    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}".strip()


@dataclass(frozen=True)
class TwimlFetch:
    """One TwiML document requested for a call: why, where, with what, and what came back.

    ``error`` says why the document could not be played (unreachable, HTTP status, invalid
    TwiML); the call then ends, as Twilio ends it with "an application error has occurred"."""

    call_sid: str
    purpose: str
    url: str
    method: str
    params: dict[str, str]
    status: int
    xml: str
    error: Optional[str] = None


@dataclass
class Command:
    """Something that happens to a call from outside its TwiML: the test or the REST API."""

    kind: str  # input, hang-up, redirect, end, pick-up, decline, conference-ended, kicked, hold, unhold, announce, star
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Leg:
    sid: str
    account_sid: str
    from_: str
    to: str
    direction: str  # inbound, outbound-api, outbound-dial
    created: datetime
    parent_call_sid: Optional[str] = None
    status: str = "queued"
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    answered_by: Optional[str] = None
    updated: Optional[datetime] = None
    #: Where its status callbacks go, which events (initiated ringing answered completed), how.
    status_callback: Optional[str] = None
    status_callback_events: tuple[str, ...] = ("completed",)
    status_callback_method: str = "POST"
    callback_sequence: int = 0
    timeline: list[CallEvent] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    #: ``said`` from this index on is what was said since the caller last acted.
    said_mark: int = 0
    played: list[str] = field(default_factory=list)
    commands: deque[Command] = field(default_factory=deque)
    #: Why the leg's thread is blocked (None while it works): "gather", "conference", "ringing"...
    waiting: Optional[str] = None
    #: Blocked on the test (True), or on a timer that will move it on by itself (False).
    idle: bool = False
    conference: Optional[str] = None
    gather_input: tuple[str, ...] = ()
    #: The waiting ``<Gather>``'s ``numDigits`` (None: any number) and ``finishOnKey`` ("" for none).
    gather_keys: tuple[Optional[int], str] = (None, "#")
    hangup_on_star: bool = False
    error: Optional[str] = None

    @property
    def ended(self) -> bool:
        return self.status in FINAL_CALL_STATUSES

    @property
    def place(self) -> str:
        """``ringing``, ``in-progress``, ``in-conference <name>``, or how it ended."""
        if self.ended or self.status in ("queued", "ringing"):
            return self.status
        if self.conference is not None:
            return f"in-conference {self.conference}"
        return "in-progress"

    def note(self, kind: str, detail: str = "") -> None:
        self.timeline.append(CallEvent(kind, detail))

    def duration(self) -> Optional[int]:
        if self.start_time is None or self.end_time is None:
            return None
        return max(int((self.end_time - self.start_time).total_seconds()), 0)

    def resource(self) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        duration = self.duration()
        return {
            "account_sid": self.account_sid,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated or self.created),
            "direction": self.direction,
            "duration": None if duration is None else str(duration),
            "end_time": rfc2822(self.end_time) if self.end_time else None,
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": self.from_,
            "group_sid": None,
            "parent_call_sid": self.parent_call_sid,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": rfc2822(self.start_time) if self.start_time else None,
            "status": self.status,
            "subresource_uris": {
                name: f"{uri}/{path}.json"
                for name, path in (
                    ("notifications", "Notifications"), ("recordings", "Recordings"), ("payments", "Payments"),
                    ("events", "Events"), ("siprec", "Siprec"), ("streams", "Streams"),
                    ("user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"),
                    ("user_defined_messages", "UserDefinedMessages"),
                )
            },
            "to": self.to,
            "to_formatted": self.to,
            "trunk_sid": None,
            "uri": f"{uri}.json",
        }

    def params(self, status: Optional[str] = None) -> dict[str, str]:
        """The parameters Twilio sends with every request about this call."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": self.sid,
            "CallStatus": status or self.status,
            "Called": self.to,
            "Caller": self.from_,
            "Direction": self.direction,
            "From": self.from_,
            "To": self.to,
        }
        if self.parent_call_sid:
            params["ParentCallSid"] = self.parent_call_sid
        return params


@dataclass
class Participant:
    call_sid: str
    conference_sid: str
    account_sid: str
    created: datetime
    label: Optional[str] = None
    status: str = "connected"  # queued, connecting, ringing, connected, complete, failed
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: Optional[str] = None
    wait_url: Optional[str] = None
    wait_method: str = "POST"
    updated: Optional[datetime] = None

    def resource(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "call_sid": self.call_sid,
            "call_sid_to_coach": self.call_sid_to_coach,
            "coaching": self.coaching,
            "conference_sid": self.conference_sid,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated or self.created),
            "end_conference_on_exit": self.end_conference_on_exit,
            "hold": self.hold,
            "label": self.label,
            "muted": self.muted,
            "start_conference_on_enter": self.start_conference_on_enter,
            "status": self.status,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Conferences/{self.conference_sid}/Participants/"
                   f"{self.call_sid}.json",
        }


@dataclass
class Conference:
    sid: str
    account_sid: str
    friendly_name: str
    created: datetime
    status: str = "init"  # init, in-progress, completed
    updated: Optional[datetime] = None
    participants: dict[str, Participant] = field(default_factory=dict)
    status_callback: Optional[str] = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("start", "end")
    reason_ended: Optional[str] = None
    call_sid_ending: Optional[str] = None
    sequence: int = 0
    #: Every event that happened, subscribed to or not: ``(event, call_sid)``.
    events: list[tuple[str, Optional[str]]] = field(default_factory=list)

    def subscribed(self, event: str) -> bool:
        return any(event in CONFERENCE_EVENT_NAMES.get(word, ()) for word in self.status_callback_events)

    def connected(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.status == "connected"]

    def resource(self) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Conferences/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid_ending_conference": self.call_sid_ending,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated or self.created),
            "friendly_name": self.friendly_name,
            "reason_conference_ended": self.reason_ended,
            "region": "us1",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {
                "participants": f"{uri}/Participants.json",
                "recordings": f"{uri}/Recordings.json",
            },
            "uri": f"{uri}.json",
        }


def words(values: Sequence[str]) -> tuple[str, ...]:
    """``["initiated ringing", "answered"]`` or ``["initiated", ...]`` -> each word once, in order."""
    seen: list[str] = []
    for value in values:
        for word in value.replace(",", " ").split():
            if word not in seen:
                seen.append(word)
    return tuple(seen)
