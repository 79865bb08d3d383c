"""The risk policy: which actions need which sign-off, and the thresholds that escalate.

It lives in a YAML file (``bot/risk_policy.yml``) so a contact centre can tighten or relax
the rules without a release. The file is parsed strictly: an unknown key, a wrong type or an
inconsistent limit stops start-up with a message that names the key, because a typo that
silently falls back to a default is how risky actions slip through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import yaml

from actions.domain.opening_hours import ALWAYS_OPEN, OpeningHours
from actions.domain.policy_reader import PolicyError, PolicyReader
from actions.domain.policy_voice import VoiceRules, read_opening_hours, read_voice_rules


OUTCOMES = ("auto", "confirm", "otp", "approval", "handoff")
#: Tiers an action kind may be mapped to. ``by_amount`` is for refunds (see RefundRules).
ACTION_TIERS = ("auto", "confirm", "otp", "approval", "handoff", "by_amount")
PRIORITIES = ("urgent", "high", "normal")
#: The inbox's queues, by seniority: a ticket is escalated up this list.
QUEUES = ("agent", "senior", "manager")
#: Who may sign off an action in the inbox, and up to what amount (see ApprovalRules). Admins
#: assign and read, but approve nothing: no policy can name them.
APPROVER_ROLES = ("agent", "senior", "manager")

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
#: Actions that carry an amount: approvals.limits say who signs them off, by amount.
BY_AMOUNT = ("refund",)
#: Actions with no amount: approvals.sign_off names the roles that may sign off each.
SIGNED_OFF_BY_ROLE = tuple(kind for kind in REQUEST_KINDS if kind not in INFORMATIONAL + BY_AMOUNT)


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
    #: Web chat sign-ins one network address may start an hour, however many visitor chats it opens.
    sign_in_per_client_per_hour: int = 10


@dataclass(frozen=True)
class Deadlines:
    claim: timedelta  # someone must take the ticket within this
    reply: timedelta  # and answer the customer within this after taking it (or after their last message)


@dataclass(frozen=True)
class InboxRules:
    default_queue: str
    topic_queues: Mapping[str, str]
    sla: Mapping[str, Deadlines]  # by priority
    remind_before: timedelta
    escalate: Mapping[str, str]  # queue -> backup queue when a ticket is not claimed in time

    def queue_for(self, topic: str) -> str:
        return self.topic_queues.get(topic, self.default_queue)


@dataclass(frozen=True)
class PhoneApprovalRules:
    """Approval notices texted to the people on duty (``approvals.phone``, optional)."""

    notices_per_hour: int = 10  # per person: the ones over it are not texted (the inbox still shows them)
    code_valid_for: timedelta = timedelta(minutes=30)  # never past the request's own deadline
    max_attempts: int = 3  # wrong codes a person may send before the codes texted to them stop working
    reason_within: timedelta = timedelta(minutes=5)  # after a REJECT without a reason, the next text is the reason


@dataclass(frozen=True)
class ApprovalRules:
    limits_cents: Mapping[str, int]  # role -> the largest amount it may approve alone
    decide_within: timedelta  # then the request expires: nothing runs, the customer is told
    escalate_after: timedelta  # still undecided: the backup approvers are alerted
    sign_off: Mapping[str, Tuple[str, ...]]  # a kind without an amount -> the roles that may sign it off
    phone: PhoneApprovalRules = PhoneApprovalRules()

    def limit_of(self, role: str) -> int:
        return self.limits_cents.get(role, 0)

    @property
    def top_limit_cents(self) -> int:
        return max(self.limits_cents.values(), default=0)

    def signers_of(self, kind: str) -> Tuple[str, ...]:
        """The roles that may sign off an action of this kind that has no amount (none if unlisted)."""
        return self.sign_off.get(kind, ())

    def approvers_in_words(self, kind: str, amount_cents: Optional[int]) -> str:
        """Who decides, as the customer is told: "a senior member of our team", "a manager", "two of our managers"."""
        if amount_cents is not None and amount_cents > self.top_limit_cents:
            return "two of our managers"
        return "a senior member of our team" if self.queue_for(kind, amount_cents) == "senior" else "a manager"

    def queue_for(self, kind: str, amount_cents: Optional[int]) -> str:
        """The least senior queue whose approvers may decide alone (managers above every limit).

        A request with no amount goes to the least senior approvers that approvals.sign_off
        lets sign off its kind (agents don't work the approvals queue).
        """
        if amount_cents is None:
            return next((role for role in ("senior", "manager") if role in self.signers_of(kind)), "manager")
        for role in ("senior", "manager"):
            if role in self.limits_cents and amount_cents <= self.limits_cents[role]:
                return role
        return "manager"


#: Longer than an execution can take while its worker lives (the business API's timeout, retried once).
UNFINISHED_AFTER = timedelta(minutes=2)


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
    inbox: InboxRules
    approvals: ApprovalRules
    #: When people are in (``opening_hours``; every hour when the file has none).
    opening_hours: OpeningHours = ALWAYS_OPEN
    voice: VoiceRules = VoiceRules()
    #: A signed-off action claimed for execution this long ago with no result was left half done by a
    #: worker that died: the conversation's next message finishes it under the same idempotency key.
    unfinished_after: timedelta = UNFINISHED_AFTER
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
        "human_intents", "keyword_topics", "confirmation", "otp", "inbox", "approvals",
    ), optional=("opening_hours", "voice"))
    actions = reader.mapping(root["actions"], "actions", required=REQUEST_KINDS)
    for kind, tier in actions.items():
        reader.choice(tier, f"actions.{kind}", ACTION_TIERS)
    for kind, tier in actions.items():
        if tier == "by_amount" and kind not in BY_AMOUNT:
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
    confirmation = reader.mapping(root["confirmation"], "confirmation", required=("expires_after", "max_unclear_replies"),
                                  optional=("unfinished_after",))
    otp = reader.mapping(root["otp"], "otp", required=("valid_for", "max_attempts", "resend_cooldown_seconds", "max_sends"),
                         optional=("sign_in_per_client_per_hour",))

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
            sign_in_per_client_per_hour=reader.positive_int(
                otp.get("sign_in_per_client_per_hour", OtpRules.sign_in_per_client_per_hour),
                "otp.sign_in_per_client_per_hour"),
        ),
        inbox=_inbox_rules(reader, root["inbox"]),
        approvals=_approval_rules(reader, root["approvals"], actions),
        opening_hours=read_opening_hours(reader, root.get("opening_hours")),
        voice=read_voice_rules(reader, root.get("voice")),
        unfinished_after=(reader.duration(confirmation["unfinished_after"], "confirmation.unfinished_after")
                          if "unfinished_after" in confirmation else UNFINISHED_AFTER),
        source=source,
    )


def _inbox_rules(reader: "_Reader", raw: Any) -> InboxRules:
    inbox = reader.mapping(raw, "inbox", required=("queues", "sla", "remind_before", "escalate"))
    queues = reader.mapping(inbox["queues"], "inbox.queues", required=("default",), optional=("topics",))
    topics = reader.mapping(queues.get("topics") or {}, "inbox.queues.topics")
    sla = reader.mapping(inbox["sla"], "inbox.sla", required=PRIORITIES)
    escalate = reader.mapping(inbox["escalate"], "inbox.escalate", optional=QUEUES)
    deadlines = {}
    for priority in PRIORITIES:
        key = f"inbox.sla.{priority}"
        fields = reader.mapping(sla[priority], key, required=("claim", "reply"))
        deadlines[priority] = Deadlines(reader.duration(fields["claim"], f"{key}.claim"),
                                        reader.duration(fields["reply"], f"{key}.reply"))
    return InboxRules(
        default_queue=reader.choice(queues["default"], "inbox.queues.default", QUEUES),
        topic_queues={str(t): reader.choice(q, f"inbox.queues.topics.{t}", QUEUES) for t, q in topics.items()},
        sla=deadlines,
        remind_before=reader.duration(inbox["remind_before"], "inbox.remind_before"),
        escalate={q: reader.choice(to, f"inbox.escalate.{q}", QUEUES) for q, to in escalate.items()},
    )


def _approval_rules(reader: "_Reader", raw: Any, actions: Mapping[str, str]) -> ApprovalRules:
    approvals = reader.mapping(raw, "approvals", required=("limits", "sign_off", "decide_within", "escalate_after"),
                               optional=("phone",))
    limits = reader.mapping(approvals["limits"], "approvals.limits", optional=APPROVER_ROLES)
    rules = ApprovalRules(
        limits_cents={role: reader.money(value, f"approvals.limits.{role}") for role, value in limits.items()},
        decide_within=reader.duration(approvals["decide_within"], "approvals.decide_within"),
        escalate_after=reader.duration(approvals["escalate_after"], "approvals.escalate_after"),
        sign_off=_sign_off(reader, approvals["sign_off"], actions),
        phone=_phone_rules(reader, approvals.get("phone") or {}),
    )
    if not rules.limits_cents:
        raise reader.error("approvals.limits", "must give at least one role a limit")
    if rules.escalate_after >= rules.decide_within:
        raise reader.error("approvals.escalate_after", "must be shorter than approvals.decide_within")
    return rules


def _phone_rules(reader: "_Reader", raw: Any) -> PhoneApprovalRules:
    """``approvals.phone``: each key optional, the defaults of ``PhoneApprovalRules`` otherwise."""
    key = "approvals.phone"
    phone = reader.mapping(raw, key, optional=("notices_per_hour", "code_valid_for", "max_attempts", "reason_within"))
    read = {"notices_per_hour": reader.non_negative_int, "code_valid_for": reader.duration,
            "max_attempts": reader.positive_int, "reason_within": reader.duration}
    return PhoneApprovalRules(**{name: read[name](value, f"{key}.{name}") for name, value in phone.items()})


def _sign_off(reader: "_Reader", raw: Any, actions: Mapping[str, str]) -> Dict[str, Tuple[str, ...]]:
    """Who may sign off each action without an amount: every such kind listed, so no kind is
    left to a default; an empty list means nobody in the inbox (the customer signs it off)."""
    for kind in BY_AMOUNT:
        if isinstance(raw, dict) and kind in raw:
            raise reader.error(f"approvals.sign_off.{kind}", "is signed off by amount: set the roles' approvals.limits instead")
    listed = reader.mapping(raw, "approvals.sign_off", required=SIGNED_OFF_BY_ROLE)
    sign_off = {}
    for kind in SIGNED_OFF_BY_ROLE:
        key = f"approvals.sign_off.{kind}"
        roles = reader.sequence(listed[kind], key)
        if "admin" in roles:
            raise reader.error(key, "can't name admin: an admin approves nothing; name agent, senior or manager")
        sign_off[kind] = tuple(reader.choice(role, f"{key}[{i}]", APPROVER_ROLES) for i, role in enumerate(roles))
        if actions.get(kind) == "approval" and not {"senior", "manager"} & set(sign_off[kind]):
            raise reader.error(key, f"must name senior or manager: actions.{kind} goes to the approvals queue, "
                                    "which seniors and managers decide")
    return sign_off


class _Reader(PolicyReader):
    """The policy's own shapes on top of the typed accessors."""

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
