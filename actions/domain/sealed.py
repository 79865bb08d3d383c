"""What a caller keyed or said that must not be written down: one-time codes.

A code entered on a call would otherwise sit in clear in Rasa's tracker (the user message's
text) and in every log line that repeats it. So the voice channel seals it: the digits are kept
under a random reference, the message Rasa records is ``/provide_otp`` with only that reference
in its metadata, and the action server takes the digits back once, which removes them. A
reference nobody takes (a crash between the two) is worth nothing after ``SEALED_FOR``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional, Protocol

#: A sealed value not taken within this long is gone: it was a code, and codes expire sooner.
SEALED_FOR = timedelta(minutes=10)
#: The message Rasa records in place of a sealed code, and the metadata key of its reference.
SEALED_CODE_MESSAGE = "/provide_otp"
SEALED_KEY = "sealed"


class SealedInputs(Protocol):
    def seal(self, conversation_id: str, value: str, at: datetime) -> str:
        """Keep ``value`` for the conversation; returns the random reference to take it by."""
        ...

    def take(self, ref: str, conversation_id: str, now: datetime) -> Optional[str]:
        """The value sealed under ``ref`` for this conversation, removed as it is read (a second
        take, another conversation's reference, or an expired one gives None)."""
        ...
