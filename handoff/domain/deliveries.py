"""Where a message to the customer stands, the same words for every channel.

- ``pending``: queued, not yet taken by the channel (or waiting to be tried again);
- ``sent``: the channel took it, but the customer's screen has not confirmed it yet (a web
  chat page that is closed gets it when it comes back);
- ``delivered``: the customer's screen (or the provider's delivery report) confirmed it;
- ``read``: the channel reports the customer saw it (the web chat: the page was in view when it
  showed it, or came into view later);
- ``recorded``: the channel cannot push (REST): the words are only in the conversation record;
- ``failed``: it could not be sent (or the provider reports it never arrived); an agent sees
  why on their reply and can try again (a one-time code that could not be sent is reported to
  the customer instead);
- ``cancelled``: not sent because nobody needs it any more (a code a newer one replaced).

A provider's delivery reports (Twilio's status callbacks) only ever move a message forward.
"""

from __future__ import annotations

PENDING, SENT, DELIVERED, READ, RECORDED, FAILED = "pending", "sent", "delivered", "read", "recorded", "failed"
CANCELLED = "cancelled"
#: A state a later acknowledgement may move on from, never back to.
SEEN = {DELIVERED: (PENDING, SENT), READ: (PENDING, SENT, DELIVERED)}
#: Twilio's message statuses in our words (``accepted``, ``scheduled``: taken, not yet on its way).
TWILIO_STATUSES = {
    "accepted": SENT, "scheduled": SENT, "queued": SENT, "sending": SENT, "sent": SENT,
    "delivered": DELIVERED, "read": READ, "undelivered": FAILED, "failed": FAILED,
}
#: A state a provider's report may move a message on from, by the state reported. Never from
#: ``pending``: the worker is still sending (the first messages of a long text), and says ``sent``.
REPORTED = {DELIVERED: (SENT,), READ: (SENT, DELIVERED), FAILED: (SENT,)}

#: What Twilio's commonest delivery errors mean, for the agent (its status callbacks give the code only).
TWILIO_ERRORS = {
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered by the carrier",
    30008: "Unknown error",
    63016: "Outside the WhatsApp 24-hour window; a template is needed",
}


def provider_failure(status: str, code: int | None, message: str | None = None) -> str:
    """Why a provider says a message never arrived, in words for the agent."""
    reason = message or (TWILIO_ERRORS.get(code) if code is not None else None)
    detail = f"Twilio error {code}" if code is not None else "no error code"
    return f"the message was {status} ({detail}{': ' + reason if reason else ''})"
