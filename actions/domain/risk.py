"""The tiered risk check: signals about one request in, a decision with its reasons out.

Every reason that applies is collected (not just the first), so the audit trail and the
human who picks up a handoff see the whole picture; the strictest outcome wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from actions.domain.money import format_cents
from actions.domain.policy import OUTCOMES, PRIORITIES, RiskPolicy
from actions.domain.sentiment import SentimentReading

#: Tier label per outcome, as shown to agents and written to the audit log.
TIER_OF_OUTCOME = {
    "auto": "low",
    "confirm": "medium",
    "otp": "destructive",
    "approval": "high_value",
    "handoff": "human",
}


@dataclass(frozen=True)
class Signals:
    """Everything the check looks at for one request."""

    request: str  # a policy request kind, or "conversation" for turns that are not a request
    intent: str
    confidence: float
    text: str = ""
    amount_cents: Optional[int] = None
    order_age_days: Optional[int] = None
    recent_refunds: int = 0
    sentiment: Optional[SentimentReading] = None
    consecutive_fallbacks: int = 0


@dataclass(frozen=True)
class Reason:
    code: str
    outcome: str
    detail: str

    @property
    def text(self) -> str:
        """As recorded on requests and in the audit log: "code: detail"."""
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True)
class Decision:
    outcome: str
    tier: str
    reasons: Tuple[Reason, ...]
    policy_version: str
    priority: str = "normal"  # queue priority if this becomes a handoff
    topic: Optional[str] = None

    @property
    def reason_codes(self) -> List[str]:
        return [reason.code for reason in self.reasons]


def assess(signals: Signals, policy: RiskPolicy) -> Decision:
    reasons: List[Reason] = []
    priorities: List[str] = []
    topics: List[str] = []

    human = policy.human_intents.get(signals.intent)
    if human:
        code = "regulated_topic" if human.regulated else f"human_topic:{human.topic}"
        reasons.append(Reason(code, "handoff", f"{signals.intent}: {human.topic} always goes to a person"))
        priorities.append(human.priority)
        topics.append(human.topic)

    lowered = f" {signals.text.lower()} "
    for keyword_topic in policy.keyword_topics.values():
        hits = [word for word in keyword_topic.words if _mentions(lowered, word)]
        if hits:
            reasons.append(Reason("sensitive_keywords", "handoff", f"{keyword_topic.topic}: mentions {', '.join(hits)}"))
            priorities.append(keyword_topic.priority)
            topics.append(keyword_topic.topic)

    if signals.request != "conversation" and not human:
        threshold = policy.confidence_threshold(signals.intent)
        if signals.confidence < threshold:
            reasons.append(Reason(
                "low_confidence", "handoff",
                f"understood as {signals.intent} with confidence {signals.confidence:.2f}, below {threshold:.2f}",
            ))

    if signals.sentiment and signals.sentiment.window_size:
        worst = min(signals.sentiment.latest, signals.sentiment.window_mean)
        if worst <= policy.sentiment_threshold:
            reasons.append(Reason(
                "negative_sentiment", "handoff",
                f"sentiment {signals.sentiment.latest:+.2f} (recent mean {signals.sentiment.window_mean:+.2f}) "
                f"at or below {policy.sentiment_threshold:+.2f}",
            ))
            priorities.append("high")

    if signals.consecutive_fallbacks >= policy.max_consecutive_fallbacks:
        reasons.append(Reason(
            "repeated_fallback", "handoff",
            f"not understood {signals.consecutive_fallbacks} times in a row",
        ))

    reasons.extend(_tier_reasons(signals, policy))
    if not reasons:
        reasons.append(Reason("no_risk", "auto", "informational request"))

    outcome = max((reason.outcome for reason in reasons), key=OUTCOMES.index)
    return Decision(
        outcome=outcome,
        tier=TIER_OF_OUTCOME[outcome],
        reasons=tuple(reasons),
        policy_version=policy.version,
        priority=min(priorities, key=PRIORITIES.index) if priorities else "normal",
        topic=topics[0] if topics else None,
    )


def _tier_reasons(signals: Signals, policy: RiskPolicy) -> Sequence[Reason]:
    tier = policy.actions.get(signals.request)
    if tier is None:
        return []
    if tier != "by_amount":
        return [Reason(f"action_tier:{tier}", tier, f"{signals.request} is a {TIER_OF_OUTCOME[tier]}-risk action")]
    return _refund_reasons(signals, policy)


def _refund_reasons(signals: Signals, policy: RiskPolicy) -> Sequence[Reason]:
    rules = policy.refunds
    amount = signals.amount_cents or 0
    reasons: List[Reason] = []
    if amount > rules.approval_above_cents:
        reasons.append(Reason("amount_above_approval_limit", "approval", f"{format_cents(amount)} is above {format_cents(rules.approval_above_cents)}"))
    elif amount > rules.small_max_cents:
        reasons.append(Reason("medium_refund_logged", "confirm", f"{format_cents(amount)} is above {format_cents(rules.small_max_cents)}: confirmed and logged for review"))
    else:
        reasons.append(Reason("small_refund", "confirm", f"{format_cents(amount)} is within {format_cents(rules.small_max_cents)}"))
    if signals.order_age_days is not None and signals.order_age_days > rules.returns_window_days:
        reasons.append(Reason("outside_returns_window", "approval", f"order is {signals.order_age_days} days old, window is {rules.returns_window_days}"))
    if signals.recent_refunds >= rules.history_max_refunds:
        reasons.append(Reason(
            "refund_history", "approval",
            f"{signals.recent_refunds} refunds in the last {rules.history_window_days} days",
        ))
    return reasons


def _mentions(lowered_text: str, phrase: str) -> bool:
    """Whole-word match allowing plural and past forms: 'sue' fires on 'sued', not on 'issue'."""
    return re.search(rf"(?<![a-z]){re.escape(phrase)}(?:s|es|d|ed)?(?![a-z])", lowered_text) is not None


