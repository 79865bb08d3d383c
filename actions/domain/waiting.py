"""What a customer waiting for a person is told about where they stand, and how they can stop waiting.

Status lines are not the bot speaking: the chat shows them apart ("You're in the queue...",
"Ali joined the conversation"), so they travel as :class:`StatusLine`, a text that says it is
one. A channel that can show them apart does; any other shows the words.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Dict, Optional

from actions.domain.policy import describe_duration

#: What the chat's "I don't need help any more" button sends.
WITHDRAW_TEXT = "I no longer need help"
#: The whole message, not a part of it: "I don't need someone reading a script, I need my money
#: back" must reach the people, not close the ticket.
_WITHDRAW = re.compile(
    r"(?:ok(?:ay)?|actually|sorry)?\s*(?:"
    r"i (?:no longer|don'?t|do not) need (?:any )?(?:help|a person|an agent|someone)(?: any ?more| now)?"
    r"|cancel (?:my|the) (?:request for (?:a person|help)|chat with (?:a person|an agent))"
    r"|never ?mind,? (?:i'?m|it'?s) (?:fine|ok|okay|sorted)"
    r"|i(?:'ve| have) sorted it(?: out)?"
    r")(?:,? (?:thanks|thank you|please))?",
    re.IGNORECASE,
)


class StatusLine(str):
    """A line about the conversation itself, e.g. "queued" or "joined", shown apart from anyone's words."""

    status: str

    def __new__(cls, text: str, status: str) -> "StatusLine":
        line = super().__new__(cls, text)
        line.status = status
        return line

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return StatusLine, (str(self), self.status)  # copies and pickles keep the status


def status_message(line: str, status: str) -> Dict[str, str]:
    """A status line as the custom message channels carry (the chat shows ``status_line`` apart)."""
    return {"status_line": line, "status": status}


def is_withdrawal(text: str) -> bool:
    """Whether a waiting customer's whole message says they don't need a person any more."""
    words = re.sub(r"[.!?\s]+", " ", (text or "").replace("\u2019", "'")).strip()  # curly apostrophes, end marks
    return bool(_WITHDRAW.fullmatch(words))


def queued_line(claim_within: timedelta, ahead: int, back: Optional[str] = None) -> StatusLine:
    """Where the customer stands: how many are ahead in the queue, and the longest the policy lets them wait;
    outside opening hours, when the team is ``back`` ("tomorrow at 9 am") instead of a wait nobody will meet."""
    place = "You're next in the queue for our customer care team" if ahead == 0 else \
        f"You're in the queue for our customer care team, with {ahead} {'person' if ahead == 1 else 'people'} ahead of you"
    if back is not None:
        return StatusLine(f"{place}. Our team is away right now and back {back}: they'll reply here then.", "queued")
    return StatusLine(f"{place}. Expected wait: up to {describe_duration(claim_within)}.", "queued")


def joined_line(agent_name: str) -> StatusLine:
    first = (agent_name or "").split(" ")[0] or "Someone"
    return StatusLine(f"{first} from Acme customer care joined the conversation.", "joined")
