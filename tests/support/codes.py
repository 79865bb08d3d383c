"""Reading one-time codes the way a customer would: from the last text sent to their phone."""

from __future__ import annotations

import re
from pathlib import Path

from actions.sms import read_outbox


def latest_code(outbox: Path, phone: str) -> str:
    """The 6-digit code in the newest development-outbox message to ``phone``."""
    bodies = [m["body"] for m in read_outbox(outbox) if m["to"] == phone]
    assert bodies, f"no code was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)
