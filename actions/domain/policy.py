"""The risk policy: which actions need which sign-off, and the thresholds that escalate.

It lives in a YAML file (``bot/risk_policy.yml``) so a contact centre can tighten or relax
the rules without a release. The file is parsed strictly: an unknown key, a wrong type or an
inconsistent limit stops start-up with a message that names the key, because a typo that
silently falls back to a default is how risky actions slip through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Tuple

import yaml

from actions.domain.money import cents

OUTCOMES = ("auto", "confirm", "otp", "approval", "handoff")
#: Tiers an action kind may be mapped to. ``by_amount`` is for refunds (see RefundRules).
ACTION_TIERS = ("auto", "confirm", "otp", "approval", "handoff", "by_amount")
PRIORITIES = ("urgent", "high", "normal")

REQUEST_KINDS = (
    "order_status",
    "delivery_date",
    "account_balance",
    "faq",
    "change_address",
    "change_delivery_slot",
    "update_email",
    "refund",
    "cancel_subscription",
    "close_account",
    "remove_payment_method",
)


_DURATION = re.compile(r"(\d+)\s*(s|m|h)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def describe_duration(value: timedelta) -> str:
    """timedelta(minutes=5) -> '5 minutes', for messages to customers."""
    seconds = int(value.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


#: Requests that only read and answer: nothing to confirm, so only auto or handoff make sense.
INFORMATIONAL = ("order_status", "delivery_date", "account_balance", "faq")


class PolicyError(ValueError):
    """The policy file is unusable; the message names the key and what to write instead."""


@dataclass(frozen=True)
class RefundRules:
    small_max_cents: int
    approval_above_cents: int
    returns_window_days: int
    history_window_days: int
    history_max_refunds: int


@dataclass(frozen=True)
class HumanTopic:
    topic: str
    priority: str
    regulated: bool


@dataclass(frozen=True)
class KeywordTopic:
    topic: str
    priority: str
    words: Tuple[str, ...]


@dataclass(frozen=True)
class OtpRules:
    valid_for: timedelta
    max_attempts: int
    resend_cooldown_seconds: int
    max_sends: int


@dataclass(frozen=True)
class RiskPolicy:
    version: str
    actions: Mapping[str, str]
    refunds: RefundRules
    default_confidence: float
    intent_confidence: Mapping[str, float]
    sentiment_threshold: float
    sentiment_window: int
    max_consecutive_fallbacks: int
    human_intents: Mapping[str, HumanTopic]
    keyword_topics: Mapping[str, "KeywordTopic"]
    confirmation_expiry: timedelta
    max_unclear_replies: int
    otp: OtpRules
    source: str = field(default="<memory>", compare=False)

    def confidence_threshold(self, intent: str) -> float:
        return self.intent_confidence.get(intent, self.default_confidence)


def load_policy(path: Path) -> RiskPolicy:
    """Read and validate the policy file; raise PolicyError naming the bad key."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"risk policy file not found: {path} (set RISK_POLICY_PATH)") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"risk policy {path} is not valid YAML: {exc}") from None
    return parse_policy(raw, source=str(path))


def parse_policy(raw: Any, source: str = "<memory>") -> RiskPolicy:
    reader = _Reader(source)
    root = reader.mapping(raw, "", required=(
        "version", "actions", "refunds", "confidence", "sentiment", "fallbacks",
        "human_intents", "keyword_topics", "confirmation", "otp",
    ))
    actions = reader.mapping(root["actions"], "actions", required=REQUEST_KINDS)
    for kind, tier in actions.items():
        reader.choice(tier, f"actions.{kind}", ACTION_TIERS)
    for kind, tier in actions.items():
        if tier == "by_amount" and kind != "refund":
            raise reader.error(f"actions.{kind}", "can't be by_amount: only refunds are tiered by amount")
        if kind in INFORMATIONAL and tier not in ("auto", "handoff"):
            raise reader.error(f"actions.{kind}", f"answers a question, so it must be auto or handoff, got {tier!r}")

    refunds = reader.mapping(root["refunds"], "refunds", required=(
        "small_max", "approval_above", "returns_window_days",
        "history_window_days", "history_max_refunds",
    ))
    refund_rules = RefundRules(
        small_max_cents=reader.money(refunds["small_max"], "refunds.small_max"),
        approval_above_cents=reader.money(refunds["approval_above"], "refunds.approval_above"),
        returns_window_days=reader.positive_int(refunds["returns_window_days"], "refunds.returns_window_days"),
        history_window_days=reader.positive_int(refunds["history_window_days"], "refunds.history_window_days"),
        history_max_refunds=reader.positive_int(refunds["history_max_refunds"], "refunds.history_max_refunds"),
    )
    if refund_rules.small_max_cents > refund_rules.approval_above_cents:
        raise reader.error("refunds.small_max", "must not be larger than refunds.approval_above")

    confidence = reader.mapping(root["confidence"], "confidence", required=("default",), optional=("intents",))
    intents = reader.mapping(confidence.get("intents", {}) or {}, "confidence.intents")
    sentiment = reader.mapping(root["sentiment"], "sentiment", required=("threshold", "window"))
    fallbacks = reader.mapping(root["fallbacks"], "fallbacks", required=("max_consecutive",))
    human = reader.mapping(root["human_intents"], "human_intents")
    keywords = reader.mapping(root["keyword_topics"], "keyword_topics")
    confirmation = reader.mapping(root["confirmation"], "confirmation", required=("expires_after", "max_unclear_replies"))
    otp = reader.mapping(root["otp"], "otp", required=("valid_for", "max_attempts", "resend_cooldown_seconds", "max_sends"))

    sentiment_threshold = reader.number(sentiment["threshold"], "sentiment.threshold", low=-1.0, high=1.0)
    return RiskPolicy(
        version=reader.text(root["version"], "version"),
        actions=dict(actions),
        refunds=refund_rules,
        default_confidence=reader.number(confidence["default"], "confidence.default", low=0.0, high=1.0),
        intent_confidence={
            name: reader.number(value, f"confidence.intents.{name}", low=0.0, high=1.0)
            for name, value in intents.items()
        },
        sentiment_threshold=sentiment_threshold,
        sentiment_window=reader.positive_int(sentiment["window"], "sentiment.window"),
        max_consecutive_fallbacks=reader.positive_int(fallbacks["max_consecutive"], "fallbacks.max_consecutive"),
        human_intents={name: reader.human_topic(value, f"human_intents.{name}") for name, value in human.items()},
        keyword_topics={topic: reader.keyword_topic(topic, value, f"keyword_topics.{topic}") for topic, value in keywords.items()},
        confirmation_expiry=reader.duration(confirmation["expires_after"], "confirmation.expires_after"),
        max_unclear_replies=reader.non_negative_int(confirmation["max_unclear_replies"], "confirmation.max_unclear_replies"),
        otp=OtpRules(
            valid_for=reader.duration(otp["valid_for"], "otp.valid_for"),
            max_attempts=reader.positive_int(otp["max_attempts"], "otp.max_attempts"),
            resend_cooldown_seconds=reader.non_negative_int(otp["resend_cooldown_seconds"], "otp.resend_cooldown_seconds"),
            max_sends=reader.positive_int(otp["max_sends"], "otp.max_sends"),
        ),
        source=source,
    )


class _Reader:
    """Typed accessors that turn a malformed value into a PolicyError naming its key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, problem: str) -> PolicyError:
        return PolicyError(f"risk policy {self.source}: '{key}' {problem}")

    def mapping(self, value: Any, key: str, required: Tuple[str, ...] = (), optional: Tuple[str, ...] = ()) -> Dict[str, Any]:
        where = key or "the top level"
        if not isinstance(value, dict):
            raise PolicyError(f"risk policy {self.source}: {where} must be a mapping, got {type(value).__name__}")
        missing = [name for name in required if name not in value]
        if missing:
            raise self.error(_join(key, missing[0]), "is missing")
        if required or optional:
            allowed = set(required) | set(optional)
            unknown = sorted(str(name) for name in value if name not in allowed)
            if unknown:
                raise self.error(_join(key, unknown[0]), f"is not a known key (expected one of: {', '.join(sorted(allowed))})")
        return value

    def sequence(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.error(key, f"must be a list, got {type(value).__name__}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value).strip() == "":
            raise self.error(key, "must be a non-empty text")
        return str(value)

    def choice(self, value: Any, key: str, options: Tuple[str, ...]) -> str:
        if value not in options:
            raise self.error(key, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def number(self, value: Any, key: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self.error(key, f"must be a number between {low} and {high}, got {value!r}")
        return float(value)

    def positive_int(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(key, f"must be a whole number above 0, got {value!r}")
        return value

    def non_negative_int(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"must be a whole number of 0 or more, got {value!r}")
        return value

    def duration(self, value: Any, key: str) -> timedelta:
        match = _DURATION.fullmatch(str(value).strip()) if isinstance(value, str) else None
        if not match or int(match.group(1)) == 0:
            raise self.error(key, f"must be a duration like 90s, 10m or 1h, got {value!r}")
        return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])

    def money(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.error(key, f"must be a positive amount in dollars, got {value!r}")
        return cents(f"{value:.2f}")

    def keyword_topic(self, topic: str, value: Any, key: str) -> KeywordTopic:
        fields = self.mapping(value, key, required=("priority", "words"))
        words = self.sequence(fields["words"], f"{key}.words")
        return KeywordTopic(
            topic=topic,
            priority=self.choice(fields["priority"], f"{key}.priority", PRIORITIES),
            words=tuple(self.text(word, f"{key}.words[{i}]").lower() for i, word in enumerate(words)),
        )

    def human_topic(self, value: Any, key: str) -> HumanTopic:
        fields = self.mapping(value, key, required=("topic", "priority"), optional=("regulated",))
        regulated = fields.get("regulated", False)
        if not isinstance(regulated, bool):
            raise self.error(f"{key}.regulated", f"must be true or false, got {regulated!r}")
        return HumanTopic(
            topic=self.text(fields["topic"], f"{key}.topic"),
            priority=self.choice(fields["priority"], f"{key}.priority", PRIORITIES),
            regulated=regulated,
        )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def check_intents(policy: RiskPolicy, known_intents: Iterable[str]) -> None:
    """Intent names in the policy must exist in the Rasa domain: a typo there would silently
    switch off an always-human rule or a confidence threshold."""
    known = set(known_intents)
    for section, names in (("human_intents", policy.human_intents), ("confidence.intents", policy.intent_confidence)):
        for name in names:
            if name not in known:
                raise PolicyError(
                    f"risk policy {policy.source}: '{section}.{name}' is not an intent of the Rasa domain "
                    f"(known intents: {', '.join(sorted(known))})"
                )
