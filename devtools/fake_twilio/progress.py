"""A message's delivery, step by step, each step reported to its ``StatusCallback`` signed like Twilio.

Twilio moves an outbound message queued -> sent -> delivered (-> read on WhatsApp), or ends it
``undelivered``/``failed`` with an error code, and POSTs every step to the URL the message was
created with. Tests choose when with ``FakeTwilio.deliver_status_callbacks``; the demo lets the
fake walk each new message through its steps on its own (``advance_on_its_own``).
"""

from __future__ import annotations

import asyncio
from datetime import timezone
from typing import Any, Optional

from devtools.fake_twilio import webhooks
from devtools.fake_twilio.resources import rfc2822
from devtools.fake_twilio.state import FakeState
from devtools.fake_twilio.webhooks import WebhookReply

FINAL_STATUSES = ("delivered", "undelivered", "failed", "read")
ERROR_MESSAGES = {
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30008: "Unknown error",
    63016: "Failed to send freeform message because you are outside the allowed window",
}


def steps_to(final_status: str) -> list[str]:
    """The statuses a message passes through on its way to ``final_status``."""
    if final_status not in FINAL_STATUSES:
        raise ValueError(f"final_status must be one of {FINAL_STATUSES}, got {final_status!r}")
    if final_status == "failed":
        return ["queued", "failed"]
    if final_status == "read":
        return ["queued", "sent", "delivered", "read"]
    return ["queued", "sent", final_status]


def natural_end(state: FakeState, message: dict[str, Any]) -> tuple[str, Optional[int]]:
    """Where a message ends when no test chose: undelivered if its number was made undeliverable,
    read on WhatsApp (the customer opens it), delivered otherwise."""
    code = state.undeliverable_code(str(message["to"]))
    if code is not None:
        return "undelivered", code
    return ("read" if str(message["to"]).startswith("whatsapp:") else "delivered"), None


def status_callback_url(state: FakeState, sid: str) -> Optional[str]:
    return (state.params_of(sid).get("StatusCallback") or [None])[0]


def advance(state: FakeState, sid: str, status: str, error_code: Optional[int] = None) -> dict[str, Any]:
    """Move the message to ``status`` with the dates and error fields Twilio sets on that step."""
    now = rfc2822(state.clock.now().astimezone(timezone.utc))
    fields: dict[str, Any] = {"status": status, "date_updated": now}
    if status == "sent":
        fields["date_sent"] = now
    if status in ("failed", "undelivered"):
        code = error_code or 30003
        fields["error_code"] = code
        fields["error_message"] = ERROR_MESSAGES.get(code, "Message delivery failed")
    return state.update_message(sid, **fields)


def report(
    state: FakeState, sid: str, status: str, error_code: Optional[int] = None
) -> Optional[tuple[str, WebhookReply]]:
    """Advance the message and POST the step to its ``StatusCallback``, if it gave one."""
    updated = advance(state, sid, status, error_code)
    state.mark_callback_sent(sid, status)
    url = status_callback_url(state, sid)
    if url is None:
        return None
    request = webhooks.signed_request(state.auth_token, url, webhooks.message_status_params(updated, status))
    return url, webhooks.deliver(state, request)[0]


async def advance_on_its_own(state: FakeState, sid: str, every: float) -> None:
    """Walk a new message to its natural end, one step every ``every`` seconds (``queued`` at once)."""
    message = state.message(sid)
    if message is None:
        return
    final, code = natural_end(state, message)
    for number, status in enumerate(steps_to(final)):
        if number:
            await asyncio.sleep(every)
        await asyncio.to_thread(report, state, sid, status, code)
