"""One-time codes leave by the one way out to the customer: queued here, sent by the delivery worker.

The action server texts nobody itself. It queues the code's text for the SMS channel, to the
phone on the customer's record, and the inbox's delivery worker sends it with that channel's
sender, retries and delivery states, like every other message the customer gets outside a
reply (an agent's words, news after a decision). So a provider that is slow or down holds up
no turn, and what went out is on record in one place.

A code that could not be sent (the provider refused it, or it was still failing when the code
expired) is reported back to its conversation: the worker asks Rasa to run
``action_code_not_sent``, which reads the failures from here (``Outbound.undelivered``) and
cancels the request that waited for the code, with an apology.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Protocol

#: The channel a code goes by, whatever channel the customer is writing on.
SMS = "sms"
#: What a code's text becomes once it left or failed: the queue does not keep codes in clear.
REDACTED = "[one-time code: not kept]"
#: The longest wait between two tries of a code (a code lives minutes, not hours).
MAX_CODE_BACKOFF = timedelta(seconds=30)


@dataclass(frozen=True)
class CodeText:
    """A one-time code's text, addressed to the phone on file, for the request ``subject_id``
    (a pending action or a sign-in); worth sending only ``until`` the code expires."""

    conversation_id: str
    to: str
    text: str
    challenge_id: str
    subject_id: str
    until: datetime

    def payload(self) -> dict:
        return {"to": self.to, "text": self.text, "challenge": self.challenge_id, "subject": self.subject_id,
                "until": self.until.isoformat()}

    @classmethod
    def of(cls, conversation_id: str, payload: dict) -> "CodeText":
        return cls(conversation_id, str(payload["to"]), str(payload["text"]), str(payload["challenge"]),
                   str(payload["subject"]), datetime.fromisoformat(str(payload["until"])))

    def sent_payload(self) -> dict:
        """What stays on record once it left: where to (the last four digits) and for what, not the code."""
        return {**self.payload(), "to": f"***{self.to[-4:]}", "text": REDACTED}


@dataclass(frozen=True)
class UndeliveredCode:
    """A code that never reached the phone (ending ``phone_ending``), and why."""

    challenge_id: str
    subject_id: str
    phone_ending: str
    error: str


class Outbound(Protocol):
    def queue_code(self, code: CodeText, now: datetime) -> None:
        """Queue the code's text for the SMS channel; the delivery worker sends it."""
        ...

    def undelivered(self, conversation_id: str) -> List[UndeliveredCode]:
        """The conversation's codes that could not be sent, oldest first."""
        ...


def next_code_try(code: CodeText, attempts: int, now: datetime, retryable: bool) -> Optional[datetime]:
    """When to try a code again after ``attempts`` failed tries; None to give up.

    A provider's refusal (a bad number, a blocked sender) is final. Anything else (a timeout,
    the provider's 5xx) is tried again, sooner than an agent's reply would be, for as long as
    the code would still be valid when it arrives.
    """
    if not retryable:
        return None
    at = now + min(timedelta(seconds=2 ** attempts), MAX_CODE_BACKOFF)
    return at if at < code.until else None
