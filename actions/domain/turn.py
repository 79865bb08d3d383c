"""One customer message as the assistant sees it, independent of Rasa's tracker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from actions.domain.evidence import TranscriptLine


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
    customer_phone: Optional[str] = None  # who signed in to the web chat (else the sender id is the phone)
    transcript: Tuple["TranscriptLine", ...] = ()  # the whole conversation so far, for a person taking over
