"""One customer message as the assistant sees it, independent of Rasa's tracker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from actions.domain.evidence import TranscriptLine
from actions.domain.sealed import CODE_PLACEHOLDER
from actions.domain.sessions import customer_of, is_visitor


#: The longest customer message any channel takes (they refuse longer ones with a clear answer):
#: enough for any real message, and it keeps every check on a message fast.
MAX_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class Turn:
    conversation_id: str  # Rasa's sender id, chosen by the channel's identity resolver (actions.domain.sessions)
    request: str  # policy request kind, or "handoff", "reply", "fallback"
    intent: str
    confidence: float
    text: str
    entities: Mapping[str, str] = field(default_factory=dict)
    recent_texts: Tuple[str, ...] = ()  # this conversation's customer messages, oldest first, this one last
    consecutive_fallbacks: int = 0
    channel: str = ""  # the channel the message came in on (Rasa's input channel name)
    #: Whether that channel has an identity resolver: only then did the server choose the
    #: conversation id, so only then does it name a customer (``actions.domain.sessions``).
    identified: bool = True
    transcript: Tuple["TranscriptLine", ...] = ()  # the whole conversation so far, for a person taking over
    #: The network address the message came from, where the channel itself found it (the web
    #: chat's socket); None on channels where it would be whatever the caller wrote.
    client: Optional[str] = None
    #: A code the customer sent, sealed by their channel (``actions.domain.sealed``):
    #: the adapter takes it into ``text`` before the assistant reads the turn.
    sealed: Optional[str] = None
    #: The message was a code its channel sealed: read as ``text``, written down as ``written_text``.
    code_sealed: bool = False

    @property
    def written_text(self) -> str:
        """The message as it may be written where people read it (a ticket, an evidence pack): a
        code a channel sealed stays out of those too."""
        return CODE_PLACEHOLDER if self.code_sealed else self.text

    @property
    def customer_id(self) -> Optional[str]:
        """The customer the server identified for this conversation; None for a visitor, or on a
        channel nobody wrote an identity resolver for."""
        return customer_of(self.conversation_id) if self.identified else None

    @property
    def from_visitor(self) -> bool:
        return is_visitor(self.conversation_id)
