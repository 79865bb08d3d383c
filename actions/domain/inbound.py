"""Messages a provider delivers to a webhook (SMS, WhatsApp): accepted once, handled in order.

A provider that doesn't hear back quickly delivers the same message again (Twilio after 15
s), and two deliveries may reach two processes at once. So a webhook only *accepts* the
message: it is stored under the provider's id, which is unique in the database, and the
webhook answers at once; a second delivery of the same id changes nothing. The turn runs
afterwards, taken from the store: each conversation's messages one at a time, oldest first,
whichever process takes them (``InboundQueue.claim_next`` takes a conversation's oldest
message only while none of its messages is being handled). So a slow action never causes a
retry, a duplicate is never a second turn, and a message accepted before a crash is still
handled after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional, Protocol, Tuple

#: A message taken by a process that has not finished it after this long is taken again: that
#: process died (one that is stopping gives it back at once). A process on a long turn says so
#: every ``STILL_HANDLING_EVERY``, so only a dead one loses its messages; six missed beats before
#: that, so a busy database or a pause never makes a live turn look dead. Short, because the
#: customer waits that long for an answer after a crash.
CLAIM_TIMEOUT = timedelta(seconds=30)
STILL_HANDLING_EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class Media:
    """Something sent with a message other than text: a picture or file (its URL at the provider,
    and its type), or a shared location (``geo:<lat>,<long>``)."""

    url: str
    kind: str


@dataclass(frozen=True)
class InboundMessage:
    provider_id: str
    channel: str
    address: str  # E.164, without the channel's prefix
    conversation_id: str
    text: str
    received_at: datetime
    media: Tuple[Media, ...] = field(default_factory=tuple)
    id: Optional[int] = None  # the order of arrival, once stored


@dataclass(frozen=True)
class Accepted:
    """A message stored: its id (the order of arrival), and whether it was taken at once for the
    caller's turn loop (``take``)."""

    id: int
    taken: bool = False


class InboundQueue(Protocol):
    def accept(self, message: InboundMessage, handled: bool = False, take: bool = False) -> Optional[Accepted]:
        """Store the message, and note the number it came from (replies go there, and WhatsApp's
        window opens); None if a message with its provider id was accepted already.

        ``handled``: the channel deals with it itself, there is no turn to run. ``take``: take it
        for this process in the same transaction, as ``claim_next`` would, if nothing of its
        conversation is still to handle before it (the common case: the turn starts without
        another round trip to the database)."""
        ...

    def claim_next(self, conversation_id: str, now: datetime) -> Optional[InboundMessage]:
        """The conversation's oldest message still to handle, taken for this process; None if there
        is none, or another process is handling one of the conversation's messages now."""
        ...

    def done(self, message_id: int, now: datetime, error: Optional[str] = None) -> None:
        """The turn for the message ran (or failed for good, with ``error``). A handled message's
        words are not kept here: the conversation's record has them (and a code typed back is no
        longer needed anywhere)."""
        ...

    def still_handling(self, message_id: int, now: datetime) -> None:
        """The process is still on the message (a long turn): no other process takes it meanwhile."""
        ...

    def release(self, message_id: int) -> None:
        """Give a message back unhandled (the process is stopping): the next process takes it at once."""
        ...

    def waiting_conversations(self, now: datetime) -> Tuple[str, ...]:
        """Conversations with messages to handle: never taken, or taken by a process that died."""
        ...


#: Carriers' keywords, as whole messages: they change what may be sent to the number. START's
#: words matter only to a number that opted out: to anyone else "yes" is an answer to the bot.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
START_WORDS = frozenset({"start", "unstop", "yes", "optin"})
HELP_WORDS = frozenset({"help", "info"})


def sms_keyword(text: str) -> Optional[str]:
    """"stop", "start" or "help" when the whole message is one of the carriers' keywords for it."""
    word = text.strip().strip(".!").lower()
    for name, words in (("stop", STOP_WORDS), ("start", START_WORDS), ("help", HELP_WORDS)):
        if word in words:
            return name
    return None
