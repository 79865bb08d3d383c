"""The one place where the policy's codes become words a person in the inbox reads.

The risk check, the audit log and the stores keep codes (``request_human``, ``negative_sentiment``,
``with_agent``): they are stable and searchable. Staff never see them: the queue, the ticket and the
approval card say why a case came to a person ("asked for a person", "angry about a charge"), how
the customer feels ("upset") and what the customer first wrote, all from the functions here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

#: Mood bands on VADER's compound score (-1 .. +1), taken from the worse of the latest message and
#: the recent mean:  angry <= -0.5 < upset <= -0.05 < calm < 0.5 <= happy.
#: VADER's own neutral band is -0.05 .. +0.05; "angry" starts where the policy's default handoff
#: threshold (-0.5) does, so a case handed over for its sentiment reads "angry".
ANGRY_AT, UPSET_AT, HAPPY_AT = -0.5, -0.05, 0.5
UNKNOWN_MOOD = "not known"

#: What a topic means, as a reason a case came to a person.
TOPIC_WORDS = {
    "customer_asked_for_human": "asked for a person",
    "complaint": "wants to make a complaint",
    "out_of_scope": "asked for something outside our services",
    "legal": "mentioned a legal matter",
    "medical": "mentioned a medical matter",
    "data_protection": "asked about their personal data",
    "payment_security": "reported a problem with a payment (possible fraud)",
    "execution_unconfirmed": "a signed-off action may not have gone through",
}

#: Where a waiting action stands.
STAGE_WORDS = {
    "confirm": "waiting for the customer's yes", "otp": "waiting for the one-time code",
    "with_agent": "waiting for you", "approval": "waiting for approval", "executing": "running now",
    "done": "done", "cancelled": "cancelled", "expired": "expired", "failed": "failed",
}

#: How each kind of step the policy can ask for would have handled the request instead.
STEP_WORDS = {
    "confirm": "Let the customer confirm it with a yes",
    "otp": "Confirm it with a one-time code to the customer's phone",
    "approval": "Send it for approval",
}

#: Codes that say how risky an action is, not why a person is needed: never a reason on a card.
_NOT_A_REASON = ("action_tier", "small_refund", "medium_refund_logged", "no_risk")
_MONEY_INTENTS = ("request_refund", "ask_balance", "remove_payment_method")
_MONEY_WORDS = re.compile(r"(?<![a-z])(charg\w*|refund\w*|money|paid|pay(ment)?s?|billed|bill|card|overcharg\w*)(?![a-z])")
_NUMBERS = {1: "once", 2: "twice", 3: "three times", 4: "four times"}


@dataclass(frozen=True)
class CaseContext:
    """What the wording of a reason depends on beyond its code."""

    topic: Optional[str] = None
    mood: str = UNKNOWN_MOOD
    about_money: bool = False


def mood(latest: Optional[float], window_mean: Optional[float] = None) -> str:
    """The customer's mood in one word, from the worse of the two scores (see ``MOOD_BANDS``)."""
    scores = [s for s in (latest, window_mean) if isinstance(s, (int, float))]
    if not scores:
        return UNKNOWN_MOOD
    worst = min(scores)
    if worst <= ANGRY_AT:
        return "angry"
    if worst <= UPSET_AT:
        return "upset"
    return "calm" if worst < HAPPY_AT else "happy"


def case_context(topic: Optional[str], intent: str, customer_texts: Iterable[str], latest: Optional[float] = None,
                 window_mean: Optional[float] = None) -> CaseContext:
    """What the wording of a case's reasons depends on, from its facts."""
    return CaseContext(topic=topic, mood=mood(latest, window_mean),
                       about_money=about_money(intent, topic, list(customer_texts)))


def mood_of(sentiment: Optional[Mapping[str, object]]) -> str:
    """The mood of a stored sentiment reading (``{"latest", "window_mean", "window_size"}``)."""
    if not sentiment or not sentiment.get("window_size"):
        return UNKNOWN_MOOD
    return mood(sentiment.get("latest"), sentiment.get("window_mean"))  # type: ignore[arg-type]


def about_money(intent: str, topic: Optional[str], customer_texts: Iterable[str]) -> bool:
    """True when the case is about a charge, a refund or a card: anger then reads 'about a charge'."""
    if topic == "payment_security" or intent in _MONEY_INTENTS:
        return True
    return any(_MONEY_WORDS.search(text.lower()) for text in customer_texts)


def reason_words(reason: str, context: CaseContext) -> Optional[str]:
    """One policy reason ("code: detail") in staff words, or None if it is no reason for a person."""
    code, _, detail = reason.partition(": ")
    base, _, qualifier = code.partition(":")
    if base in _NOT_A_REASON:
        return None
    if base == "human_topic":
        return TOPIC_WORDS.get(qualifier, f"asked about {_plain(qualifier)}")
    if base == "regulated_topic":
        return TOPIC_WORDS.get(context.topic or "", "raised a regulated matter")
    if base == "sensitive_keywords":
        topic = detail.partition(": ")[0]
        return TOPIC_WORDS.get(topic, f"mentioned a {_plain(topic)} matter")
    if base == "negative_sentiment":
        feeling = context.mood if context.mood in ("angry", "upset") else "angry"
        return f"{feeling} about a charge" if context.about_money else f"sounded {feeling}"
    if base == "low_confidence":
        return "the bot wasn't sure what they meant"
    if base == "repeated_fallback":
        found = re.search(r"\d+", detail)
        times = _NUMBERS.get(int(found.group()), f"{found.group()} times") if found else "several times"
        return f"the bot didn't understand them {times}"
    if base == "routed_to_person":
        return "the bot passes this kind of request to a person"
    if base == "execution_unconfirmed":
        return TOPIC_WORDS["execution_unconfirmed"]
    if base == "amount_above_approval_limit":
        return f"more than the bot may refund on its own ({detail})"
    if base == "outside_returns_window":
        return f"outside the returns window ({detail})"
    if base == "refund_history":
        return f"refunded recently ({detail})"
    if base == "raised_by_agent":
        return f"sent for approval with the note \"{detail}\""
    if base == "approved_by_person":
        return detail
    return _plain(code) + (f" ({detail})" if detail and not _CODE_IN_TEXT.search(detail) else "")


def why_in_words(reasons: Sequence[str], context: CaseContext) -> List[str]:
    """Every reason in staff words, once each, in the policy's order."""
    words: List[str] = []
    for reason in reasons:
        said = reason_words(reason, context)
        if said and said not in words:
            words.append(said)
    return words


def topic_words(topic: Optional[str]) -> str:
    """A ticket's topic as the queue shows it."""
    return TOPIC_WORDS.get(topic or "", _plain(topic or "") or "no topic")


def stage_words(stage: Optional[str]) -> str:
    return STAGE_WORDS.get(stage or "", _plain(stage or ""))


def first_words(lines: Sequence[Tuple[str, str]], limit: int = 90) -> Optional[str]:
    """What the customer first wrote in the conversation that led to this case, trimmed.

    ``lines`` are (speaker, text) in order. The conversation that led here starts after a
    person last spoke (an earlier handoff's reply), so an old case's words are not repeated.
    """
    start = max((i + 1 for i, (speaker, _) in enumerate(lines) if speaker == "agent"), default=0)
    first = next((text for speaker, text in lines[start:] if speaker == "customer" and text.strip()), None)
    return clip(first, limit) if first else None


def clip(text: str, limit: int = 140) -> str:
    """One line of at most ``limit`` characters, cut between words."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


#: An internal code as it would leak into text: ``request_human: ...`` or a bare ``with_agent``.
_CODE_IN_TEXT = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _plain(code: str) -> str:
    return code.replace("_", " ").replace(":", " ").strip()
