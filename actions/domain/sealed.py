"""What a caller keyed or said that must not be written down: one-time codes.

A code entered on a call would otherwise sit in clear in Rasa's tracker (the user message's
text) and in every log line that repeats it. So the voice channel seals it: the digits are kept
under a random reference, the message Rasa records is ``/provide_otp`` with only that reference
in its metadata, and the action server takes the digits back once, which removes them. A
reference nobody takes (a crash between the two) is worth nothing after ``SEALED_FOR``.

Every text channel does the same with a message that answers a code prompt (``CodeSealer``):
REST, web chat, SMS and WhatsApp. So no code rests in clear in Rasa's tracker store, in the
inbound queue, on a ticket or in an evidence pack: where people read the conversation, a code
shows as ``CODE_PLACEHOLDER``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Callable, Optional, Protocol

from actions.domain.voice_calls import CODE

#: A sealed value not taken within this long is gone: it was a code, and codes expire sooner.
SEALED_FOR = timedelta(minutes=10)
#: How long after a code prompt ended (answered, expired or cancelled) a message that looks like a
#: code is still sealed: a customer sends the code again, or a slow network delivers it twice.
REPLAYED_WITHIN = timedelta(minutes=10)
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


#: What is written in a code's place wherever people read the conversation (a ticket, a page's history).
CODE_PLACEHOLDER = "(a code)"
#: The channels that seal codes themselves: only on their messages is a sealed reference believed.
SEALING_CHANNELS = frozenset({"voice", "rest", "webchat", "sms", "whatsapp"})
#: A one-time code as customers type it: six digits, perhaps split "123 456" or "123-456" (the two
#: halves are its groups).
CODE_AS_TYPED = re.compile(r"(?<!\d)(\d{3})[\s-]?(\d{3})(?!\d)")
#: A run of ten or more digits with separators is a phone number (a visitor naming theirs), not a code.
_LONG_NUMBER = re.compile(r"\d(?:[\s().-]*\d){9,}")
#: How a queued sealed message carries its reference; the stores' references are URL-safe random text.
_REF_MARK = "#sealed:"
_REF = re.compile(r"[\w-]{8,64}")


def looks_like_code(text: str) -> bool:
    """Whether a message would carry a one-time code if the conversation waited for one: it holds
    six digits as codes are typed ("482913", "my code is 482 913") and no phone number. Cheap (a
    regular expression), so a channel asks it of every message and looks up what the conversation
    waits for only when it says yes."""
    return bool(CODE_AS_TYPED.search(text)) and not _LONG_NUMBER.search(text)


def sealed_text(ref: str) -> str:
    """How a sealed message is queued where a channel keeps messages before their turn (the SMS
    and WhatsApp inbound queue): the sealed intent with the reference, never the words."""
    return f"{SEALED_CODE_MESSAGE}{_REF_MARK}{ref}"


def sealed_ref_in(text: str) -> Optional[str]:
    """The reference in a message ``sealed_text`` wrote; None for anything else."""
    head, mark, ref = text.partition(_REF_MARK)
    return ref if mark and head == SEALED_CODE_MESSAGE and _REF.fullmatch(ref) else None


class CodeSealer:
    """A text channel's decision, made before anything records the message: a message that looks
    like a code, in a conversation waiting for one (``expecting`` says ``CODE``) or whose code prompt
    was live less than ``REPLAYED_WITHIN`` ago (``prompted_since``), is sealed. A code sent again
    once the step is over is worth nothing, but it is still a code: it is not written down either.

    The whole message is sealed, as the customer wrote it, so the assistant reads exactly what it
    read before ("my code is 482 913"); Rasa records only ``/provide_otp`` and the reference."""

    def __init__(self, expecting: Callable[[str], Optional[str]], sealed: SealedInputs,
                 now: Callable[[], datetime],
                 prompted_since: Optional[Callable[[str, datetime], bool]] = None) -> None:
        self.expecting = expecting
        self.sealed = sealed
        self.now = now
        #: Whether the conversation had a code prompt live at any time since the given moment.
        self.prompted_since = prompted_since or (lambda conversation_id, since: False)

    def seal_if_code(self, conversation_id: str, text: str) -> Optional[str]:
        """The reference the message is sealed under, or None if it goes on as written."""
        if not looks_like_code(text):
            return None
        now = self.now()
        if self.expecting(conversation_id) != CODE and not self.prompted_since(conversation_id, now - REPLAYED_WITHIN):
            return None
        return self.sealed.seal(conversation_id, text, now)
