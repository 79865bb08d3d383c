"""One customer message as the assistant sees it, independent of Rasa's tracker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from actions.domain.evidence import TranscriptLine

#: Channels whose sender id is a browser session, not a phone number: the customer is known
#: only through a signed identity token, never through the id a browser chose for itself.
SESSION_CHANNELS = ("socketio",)


@dataclass(frozen=True)
class Turn:
    conversation_id: str  # Rasa's sender id: the customer's phone number on SMS/WhatsApp
    request: str  # policy request kind, or "handoff", "reply", "fallback"
    intent: str
    confidence: float
    text: str
    entities: Mapping[str, str] = field(default_factory=dict)
    recent_texts: Tuple[str, ...] = ()  # this conversation's customer messages, oldest first, this one last
    consecutive_fallbacks: int = 0
    customer_phone: Optional[str] = None  # who the web chat's signed token says the customer is
    channel: str = ""  # the channel the message came in on (Rasa's input channel name)
    transcript: Tuple["TranscriptLine", ...] = ()  # the whole conversation so far, for a person taking over

    @property
    def phone(self) -> Optional[str]:
        """The customer's phone number: from the signed token, or the sender id where that is a phone."""
        if self.customer_phone:
            return self.customer_phone
        return None if self.channel in SESSION_CHANNELS else self.conversation_id
