"""Phone calls to the assistant: what the voice channel remembers of each call between webhooks.

Twilio asks for the next TwiML document at every step of a call, so the call's state lives in
the database, not in a process: the conversation it belongs to (the caller's one conversation,
the same as by SMS or web chat), how many turns it has had, how many times in a row the caller
was not heard, and what the conversation waits for (a yes or no, or a code), which decides what
the keypad means. Each turn's answer is kept under its number: a webhook Twilio delivers twice
gets the same answer, and the turn runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Protocol, Sequence

#: Where a call is: with the assistant, being transferred to (or talking with) a person, or over.
WITH_BOT, TRANSFER, ENDED = "bot", "transfer", "ended"
#: Twilio's CallStatus values that end a call.
FINAL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
#: What the conversation waits for, which decides what the keypad and the caller's words mean.
YES_NO, CODE, OFFER = "yes_no", "code", "offer"


@dataclass(frozen=True)
class VoiceCall:
    call_sid: str
    conversation_id: str
    caller: Optional[str]  # E.164; None when the number was withheld
    started_at: datetime
    status: str = "in-progress"  # Twilio's latest CallStatus
    turn: int = 0  # turns answered so far (the greeting is turn 0)
    misses: int = 0  # silences or unheard answers in a row
    expecting: Optional[str] = None  # YES_NO, CODE, OFFER, or nothing in particular
    stage: str = WITH_BOT
    ended_at: Optional[datetime] = None

    @property
    def live(self) -> bool:
        return self.stage != ENDED


class VoiceCalls(Protocol):
    def start(self, call: VoiceCall) -> bool:
        """Record a new call; False if it is known already (the first webhook delivered twice)."""
        ...

    def get(self, call_sid: str) -> Optional[VoiceCall]: ...

    def live_for(self, conversation_id: str) -> Optional[VoiceCall]:
        """The conversation's newest call that has not ended."""
        ...

    def begin_turn(self, call_sid: str, turn: int, at: datetime, heard: Optional[str] = None) -> bool:
        """Claim turn ``turn`` of the call, noting what the caller said; False if it was claimed already
        (a duplicate delivery)."""
        ...

    def heard(self, call_sid: str) -> Sequence[str]:
        """What the caller said on the call, turn by turn (a call back's transcript)."""
        ...

    def expect(self, call_sid: str, expecting: Optional[str]) -> None:
        """What the conversation waits for now (set outside a turn: the caller back from a transfer)."""
        ...

    def answer_of(self, call_sid: str, turn: int) -> Optional[str]:
        """The TwiML a claimed turn answered, once it is stored; None while it runs."""
        ...

    def finish_turn(self, call_sid: str, turn: int, twiml: str, *, misses: int, expecting: Optional[str]) -> None:
        """Store the turn's answer and the call's state after it."""
        ...

    def move(self, call_sid: str, from_stages: Sequence[str], to: str) -> bool:
        """Set the call's stage if it is one of ``from_stages``; True if this call did it."""
        ...

    def ended(self, call_sid: str, status: str, at: datetime) -> bool:
        """The call is over (Twilio's final status); True the first time it is recorded."""
        ...

    def queue_speech(self, call_sid: str, text: str, at: datetime) -> None:
        """Something for the bot to say on the call at its next document (news after a transfer)."""
        ...

    def speech_waiting(self, call_sid: str) -> bool:
        """Whether something is queued to be said on the call."""
        ...

    def take_speech(self, call_sid: str, at: datetime) -> Sequence[str]:
        """What was queued to say on the call, oldest first, marked spoken as it is taken."""
        ...
