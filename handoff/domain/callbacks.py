"""A call back promised to a caller nobody could take: what people read in the queue.

The words name the number masked (the full one is on the call's record, for the person who
calls back) and the promise as the caller heard it, with what they said on the phone, so
whoever picks it up knows whom to call, by when, and about what.
"""

from __future__ import annotations

from typing import Optional, Sequence

from handoff.domain.transfer_records import masked

#: The topic of a ticket opened only to call a caller back.
CALLBACK_TOPIC = "callback"
#: At most this many of the caller's words on the ticket's line (the rest is in the conversation).
_TRANSCRIPT_CHARS = 600


def callback_text(caller: Optional[str], when: str, transcript: Sequence[str]) -> str:
    """'Call back +1 ••• 0123 within the next 4 hours; transcript: "my parcel never came" / "yes"'."""
    said = " / ".join(f'"{line.strip()}"' for line in transcript if line.strip())
    if len(said) > _TRANSCRIPT_CHARS:
        said = said[:_TRANSCRIPT_CHARS - 1] + "…"
    whom = f"Call back {masked(caller)}" if caller else "Call back the caller (their number was withheld: "\
        "see the conversation for another way to reach them)"
    return f"{whom} {when}; transcript: {said or 'nothing said'}"
