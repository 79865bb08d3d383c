"""Reading Twilio's voice webhooks: which call, which turn, which person's phone, and what was said.

Pure functions over the signed form and the URL's query (the channel checked the signature
first). What the caller's answer means depends on what the conversation waits for: the keypad's
1 and 2 are yes and no for a confirmation, a code's digits for a code, 0 a person after the
caller was offered one. A value that can't be read is a ``BadCall``: the caller hears an apology
and the log says why.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from actions.domain.spoken_digits import keypad_answer
from actions.domain.voice_calls import CODE, OFFER, YES_NO

#: Below this, Twilio's speech recognition is taken as not heard (its Confidence runs 0..1).
MIN_CONFIDENCE = 0.25
#: The message that asks for a person, as the bot reads it.
ASK_PERSON = "/request_human"
#: What a caller says to take the offer of a person.
_WANTS_PERSON = re.compile(r"\b(yes|yeah|agent|person|human|someone|representative|operator|please)\b", re.I)
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_TRANSFER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BadCall(ValueError):
    """A call webhook that can't be acted on; the caller hears an apology, the log says why."""


def call_sid_of(form: Mapping[str, Any]) -> str:
    sid = (form.get("CallSid") or "").strip()
    if not _CALL_SID.match(sid):
        raise BadCall(f"CallSid must be Twilio's call id (CA and 32 hex digits), got {sid[:40]!r}")
    return sid


def is_call_sid(value: str) -> bool:
    return bool(_CALL_SID.match(value))


def turn_number(value: Optional[str]) -> int:
    if value is None or not _whole_number(value) or len(value) > 5:
        raise BadCall(f"the turn number in the URL must be a whole number, got {value!r}")
    return int(value)


def _whole_number(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also says yes to "²" and "١", which ``int`` refuses."""
    return value.isascii() and value.isdigit()


def transfer_of(query: Mapping[str, Any]) -> str:
    transfer_id = query.get("transfer") or ""
    if not _TRANSFER_ID.match(transfer_id):
        raise BadCall(f"the URL must name the transfer, got {transfer_id[:70]!r}")
    return transfer_id


def leg_of(query: Mapping[str, Any]) -> Tuple[str, int]:
    """The transfer and the number of the person's phone a webhook is about (``?transfer=..&leg=..``)."""
    leg = query.get("leg") or ""
    if not _whole_number(leg) or len(leg) > 3:
        raise BadCall(f"the URL must name the person's call by its number, got {leg[:10]!r}")
    return transfer_of(query), int(leg)


def heard(form: Mapping[str, Any], expecting: Optional[str]) -> Optional[str]:
    """What the caller's answer says, in words the bot reads; None if nothing was heard."""
    digits = (form.get("Digits") or "").strip()
    speech = (form.get("SpeechResult") or "").strip()
    if digits:
        if expecting in (YES_NO, CODE):
            return keypad_answer(digits, expecting)
        if expecting == OFFER and digits.startswith("0"):
            return ASK_PERSON
        return digits.strip("#*") or None
    if not speech or confidence(form.get("Confidence")) < MIN_CONFIDENCE:
        return None
    if expecting == OFFER and _WANTS_PERSON.search(speech):
        return ASK_PERSON
    return speech


def confidence(value: Optional[str]) -> float:
    """Twilio's Confidence (0..1); a missing or unreadable one is not held against the caller."""
    try:
        return float(value) if value not in (None, "") else 1.0
    except ValueError:
        return 1.0


def bot_lines(messages: Sequence[Dict[str, Any]]) -> List[str]:
    """The bot's replies as lines to say: texts, and the words of custom messages (status lines)."""
    lines = []
    for message in messages:
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        line = message.get("text") or custom.get("text") or custom.get("line") or custom.get("status_line")
        if isinstance(line, str) and line.strip():
            lines.append(line.strip())
    return lines


def masked(number: Optional[str]) -> Optional[str]:
    return f"***{number[-4:]}" if number else None
