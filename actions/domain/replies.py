"""What a customer's answer to "Reply YES to confirm" means: yes, no, a new amount, a code..."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Optional

from actions.domain.extract import Details

# A YES must be made of these words only ("yes please", "ok go ahead"): the classifier
# also labels '?', emoji and foreign words as affirm with high confidence, and a guess must
# never sign anything off.
_YES_WORDS = {"yes", "y", "yeah", "yea", "ya", "yep", "yup", "ok", "okay", "k", "confirm", "confirmed", "sure",
              "correct", "absolutely", "ahead", "affirmative", "agreed", "approve", "\N{THUMBS UP SIGN}"}
_NO_WORDS = {"no", "n", "nope", "nah", "stop", "cancel", "don't", "dont", "never", "decline"}
_FILLER = {"please", "pls", "thanks", "thank", "you", "go", "ahead", "do", "it", "that", "that's", "thats", "is",
           "fine", "right", "good", "great", "sounds", "perfect", "mind", "not", "now", "and", "then", "this", "one", "thing"}


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
    tokens = re.sub(r"[^a-z' \N{THUMBS UP SIGN}]", " ", text.lower()).split()
    if _only(tokens, _NO_WORDS):
        return Reply(ReplyKind.NO)
    if details.code and intent in ("provide_otp", "inform", "nlu_fallback", "affirm") or (details.code and len(text.strip()) <= 12):
        return Reply(ReplyKind.CODE, code=details.code)
    if _only(tokens, _YES_WORDS):
        return Reply(ReplyKind.YES)
    if not confident:
        return Reply(ReplyKind.UNCLEAR)
    if intent == "resend_code":
        return Reply(ReplyKind.RESEND)
    if intent in ("change_amount", "inform", "request_refund") and (details.amount_cents or details.amount_problem):
        return Reply(ReplyKind.AMOUNT, amount_cents=details.amount_cents)
    return Reply(ReplyKind.UNCLEAR)


def _only(tokens: list, keywords: set) -> bool:
    """True if the message is one of ``keywords`` plus polite filler, and nothing else."""
    return any(token in keywords for token in tokens) and all(token in keywords or token in _FILLER for token in tokens)
