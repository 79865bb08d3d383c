"""What a customer's answer to "Reply YES to confirm" means: yes, no, a new amount, a code..."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Optional

from actions.domain.extract import Details

_YES = {"yes", "y", "yeah", "yep", "yup", "ok", "okay", "confirm", "confirmed", "sure", "go ahead", "do it", "yes please", "correct"}
_NO = {"no", "n", "nope", "nah", "stop", "cancel", "don't", "dont", "no thanks", "never mind", "nevermind", "cancel that"}


class ReplyKind(str, Enum):
    YES = "yes"
    NO = "no"
    AMOUNT = "amount"
    CODE = "code"
    RESEND = "resend"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    amount_cents: Optional[int] = None
    code: Optional[str] = None


def classify_reply(intent: str, text: str, details: Details, confident: bool) -> Reply:
    """Map the NLU result and the raw text onto an answer; anything doubtful is UNCLEAR.

    The exact words win over the classifier for the short answers, and a low-confidence
    classification never counts as a YES: nothing runs on a guess.
    """
    words = re.sub(r"[^a-z' ]", "", text.lower()).strip()
    if words in _NO:
        return Reply(ReplyKind.NO)
    if details.code and intent in ("provide_otp", "inform", "nlu_fallback", "affirm") or (details.code and len(text.strip()) <= 12):
        return Reply(ReplyKind.CODE, code=details.code)
    if words in _YES:
        return Reply(ReplyKind.YES)
    if not confident:
        return Reply(ReplyKind.UNCLEAR)
    if intent == "affirm":
        return Reply(ReplyKind.YES)
    if intent == "deny":
        return Reply(ReplyKind.NO)
    if intent == "resend_code":
        return Reply(ReplyKind.RESEND)
    if intent in ("change_amount", "inform", "request_refund") and details.amount_cents:
        return Reply(ReplyKind.AMOUNT, amount_cents=details.amount_cents)
    return Reply(ReplyKind.UNCLEAR)
