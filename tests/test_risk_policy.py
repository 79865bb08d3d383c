"""The risk policy as a contact centre lead would read it: which request needs which sign-off,
what escalates to a person, and what happens when someone edits the YAML.

Every decision here goes through the shipped ``bot/risk_policy.yml`` (or an edited copy of
it written to a temporary folder): no rule is restated in the test.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Sequence

import pytest
import yaml

from actions.domain.policy import PolicyError, RiskPolicy, load_policy
from actions.domain.risk import Decision, Signals, assess
from actions.domain.sentiment import read_sentiment
from actions.settings import PROJECT_ROOT
from handoff.domain import sign_off
from handoff.domain.people import Role

SHIPPED = PROJECT_ROOT / "bot" / "risk_policy.yml"


@pytest.fixture(scope="module")
def policy() -> RiskPolicy:
    return load_policy(SHIPPED)


def shipped_yaml() -> Dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def write_policy(tmp_path: Path, raw: Any) -> Path:
    path = tmp_path / "risk_policy.yml"
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def decide(
    policy: RiskPolicy,
    request: str,
    intent: str,
    text: str = "",
    confidence: float = 0.95,
    history: Sequence[str] = (),
    **facts: Any,
) -> Decision:
    """One customer message, scored the way the assistant scores it (VADER over the recent texts)."""
    texts = (*history, text) if text else tuple(history)
    return assess(Signals(
        request=request, intent=intent, confidence=confidence, text=text,
        sentiment=read_sentiment(texts, policy.sentiment_window), **facts,
    ), policy)


def refund(policy: RiskPolicy, dollars: str, *, age_days: int = 8, recent_refunds: int = 0,
           text: str = "I'd like a refund please", **kw: Any) -> Decision:
    whole, _, frac = dollars.partition(".")
    amount = int(whole) * 100 + int((frac + "00")[:2])
    return decide(policy, "refund", "request_refund", text, amount_cents=amount,
                  order_age_days=age_days, recent_refunds=recent_refunds, **kw)


# -- the shipped file ----------------------------------------------------------------------


def test_the_shipped_policy_loads_with_the_limits_it_advertises(policy: RiskPolicy) -> None:
    assert policy.version == "2026-12-01.1"
    assert policy.source == str(SHIPPED)
    assert (policy.refunds.small_max_cents, policy.refunds.approval_above_cents) == (10000, 50000)
    assert policy.actions["cancel_subscription"] == "otp"
    assert policy.actions["refund"] == "by_amount"
    assert policy.confidence_threshold("close_account") == 0.85
    assert policy.confidence_threshold("ask_order_status") == policy.default_confidence == 0.5
    assert (policy.otp.valid_for, policy.otp.max_attempts) == (timedelta(minutes=5), 3)
    assert policy.otp.sign_in_per_client_per_hour == 10
    assert policy.confirmation_expiry == timedelta(minutes=10)
    assert policy.human_intents["ask_legal"].regulated is True
    assert policy.human_intents["complaint"].regulated is False
    assert policy.inbox.queue_for("payment_security") == "senior"
    assert policy.inbox.queue_for("complaint") == "agent"
    assert policy.inbox.sla["urgent"].claim == timedelta(minutes=5)
    assert policy.inbox.escalate == {"agent": "senior", "senior": "manager"}
    assert policy.approvals.limits_cents == {"agent": 10000, "senior": 100000, "manager": 1000000}
    assert policy.approvals.decide_within == timedelta(hours=24)
    assert policy.approvals.signers_of("change_address") == ("agent", "senior", "manager")
    assert policy.approvals.signers_of("close_account") == ("senior", "manager")


# -- one tier per kind of request ------------------------------------------------------------


@pytest.mark.parametrize(
    ("story", "request_kind", "intent", "text", "facts", "outcome", "tier"),
    [
        ("where is my parcel", "order_status", "ask_order_status", "Where is order 1002?", {}, "auto", "low"),
        ("a new delivery address", "change_address", "change_address", "Send order 1002 to 5 Pine Road", {}, "confirm", "medium"),
        ("a subscription cancelled", "cancel_subscription", "cancel_subscription", "Cancel my coffee club", {}, "otp", "destructive"),
        ("a $700 refund", "refund", "request_refund", "Refund $700 for order 1003",
         {"amount_cents": 70000, "order_age_days": 15}, "approval", "high_value"),
        ("a legal question", "conversation", "ask_legal", "Can I return this under consumer law?", {}, "handoff", "human"),
    ],
)
def test_each_request_gets_the_sign_off_its_tier_needs(
    policy: RiskPolicy, story: str, request_kind: str, intent: str, text: str,
    facts: Dict[str, int], outcome: str, tier: str,
) -> None:
    decision = decide(policy, request_kind, intent, text, **facts)
    assert (decision.outcome, decision.tier) == (outcome, tier), story
    assert decision.policy_version == policy.version


def test_an_informational_question_runs_on_its_own_with_a_stated_reason(policy: RiskPolicy) -> None:
    decision = decide(policy, "account_balance", "ask_balance", "What's my balance?")
    assert decision.reason_codes == ["action_tier:auto"]
    small_talk = decide(policy, "conversation", "greet", "hi there")
    assert (small_talk.outcome, small_talk.reason_codes) == ("auto", ["no_risk"])


# -- each signal escalates on its own ------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "code", "topic", "priority"),
    [
        ("ask_legal", "regulated_topic", "legal", "high"),
        ("ask_medical", "regulated_topic", "medical", "high"),
        ("gdpr_request", "regulated_topic", "data_protection", "high"),
        ("complaint", "human_topic:complaint", "complaint", "high"),
        ("request_human", "human_topic:customer_asked_for_human", "customer_asked_for_human", "normal"),
    ],
)
def test_human_intents_always_go_to_a_person(policy: RiskPolicy, intent: str, code: str, topic: str, priority: str) -> None:
    decision = decide(policy, "conversation", intent, "I'd like some help with something")
    assert decision.outcome == "handoff"
    assert decision.reason_codes == [code]
    assert (decision.topic, decision.priority) == (topic, priority)


def test_a_human_intent_is_not_second_guessed_for_low_confidence(policy: RiskPolicy) -> None:
    decision = decide(policy, "conversation", "ask_legal", "is this legal?", confidence=0.2)
    assert "low_confidence" not in decision.reason_codes


@pytest.mark.parametrize(
    ("text", "topic", "priority"),
    [
        ("I'm going to sue you", "legal", "high"),
        ("My LAWYER will be in touch.", "legal", "high"),
        ("I'm considering legal action", "legal", "high"),
        ("I had an allergic reaction to the snacks", "medical", "high"),
        ("Please erase my data", "data_protection", "high"),
        ("There's a charge I don't recognise, this is fraud", "payment_security", "urgent"),
        ("I see an unauthorized charge on my card", "payment_security", "urgent"),
        ("Two unauthorized charges this month!", "payment_security", "urgent"),  # plural
        ("My neighbour sued them over this", "legal", "high"),  # past tense
        ("I'm suing Acme", "legal", "high"),
    ],
)
def test_sensitive_words_hand_any_message_to_a_person(policy: RiskPolicy, text: str, topic: str, priority: str) -> None:
    decision = decide(policy, "order_status", "ask_order_status", text)
    assert decision.outcome == "handoff"
    assert "sensitive_keywords" in decision.reason_codes
    assert (decision.topic, decision.priority) == (topic, priority)


@pytest.mark.parametrize(
    "text",
    [
        "There's an issue with my order",  # 'issue' contains 'sue'
        "I'll pursue this with the courier",  # so does 'pursue'
        "Is there a tissue box in the kit?",
        "The doctoral thesis I ordered hasn't arrived",  # 'doctoral' is not 'doctor'
        "I want to legalise my address change",  # 'legal' alone is not a keyword phrase
    ],
)
def test_keywords_match_whole_words_only(policy: RiskPolicy, text: str) -> None:
    decision = decide(policy, "order_status", "ask_order_status", text)
    assert "sensitive_keywords" not in decision.reason_codes
    assert decision.outcome == "auto"


def test_low_confidence_uses_the_intents_own_threshold(policy: RiskPolicy) -> None:
    # request_refund needs 0.6; close_account needs 0.85
    unsure_refund = refund(policy, "20", confidence=0.59)
    assert unsure_refund.outcome == "handoff"
    assert "low_confidence" in unsure_refund.reason_codes
    assert refund(policy, "20", confidence=0.6).outcome == "confirm"

    assert decide(policy, "close_account", "close_account", "close my account", confidence=0.84).outcome == "handoff"
    assert decide(policy, "close_account", "close_account", "close my account", confidence=0.85).outcome == "otp"


def test_low_confidence_falls_back_to_the_default_threshold(policy: RiskPolicy) -> None:
    # ask_order_status has no threshold of its own: the default 0.5 applies
    assert decide(policy, "order_status", "ask_order_status", "where is it", confidence=0.55).outcome == "auto"
    unsure = decide(policy, "order_status", "ask_order_status", "where is it", confidence=0.49)
    assert unsure.outcome == "handoff"
    assert unsure.reason_codes[0] == "low_confidence"
    assert "below 0.50" in unsure.reasons[0].detail


def test_small_talk_is_not_escalated_for_low_confidence(policy: RiskPolicy) -> None:
    assert decide(policy, "conversation", "greet", "hey", confidence=0.1).outcome == "auto"


def test_an_angry_latest_message_escalates(policy: RiskPolicy) -> None:
    decision = decide(policy, "order_status", "ask_order_status", "This is terrible, I hate this awful service!")
    assert decision.outcome == "handoff"
    assert decision.reason_codes[0] == "negative_sentiment"
    assert decision.priority == "high"


def test_a_calm_message_after_an_angry_conversation_still_escalates_on_the_window_mean(policy: RiskPolicy) -> None:
    history = ["This is the worst, absolutely awful", "I am so frustrated and angry"]
    decision = decide(policy, "order_status", "ask_order_status", "where is my parcel", history=history)
    assert decision.outcome == "handoff"
    assert "negative_sentiment" in decision.reason_codes
    assert "recent mean -0.55" in decision.reasons[0].detail


def test_anger_older_than_the_window_is_forgotten(policy: RiskPolicy) -> None:
    history = ["This is the worst, absolutely awful", "I am so frustrated and angry", "ok", "fine"]
    decision = decide(policy, "order_status", "ask_order_status", "where is my parcel", history=history)
    assert decision.outcome == "auto"


def test_mild_annoyance_does_not_escalate(policy: RiskPolicy) -> None:
    assert decide(policy, "order_status", "ask_order_status", "I'm annoyed, where is order 1002?").outcome == "auto"


def test_being_misunderstood_twice_in_a_row_escalates(policy: RiskPolicy) -> None:
    once = assess(Signals("conversation", "nlu_fallback", 0.3, "blorp", consecutive_fallbacks=1), policy)
    twice = assess(Signals("conversation", "nlu_fallback", 0.3, "blorp", consecutive_fallbacks=2), policy)
    assert once.outcome == "auto"
    assert (twice.outcome, twice.reason_codes) == ("handoff", ["repeated_fallback"])


@pytest.mark.parametrize(
    ("dollars", "outcome", "code"),
    [
        ("0.01", "confirm", "small_refund"),
        ("100.00", "confirm", "small_refund"),
        ("100.01", "confirm", "medium_refund_logged"),
        ("500.00", "confirm", "medium_refund_logged"),
        ("500.01", "approval", "amount_above_approval_limit"),
    ],
)
def test_refund_amounts_are_tiered_at_the_exact_boundaries(policy: RiskPolicy, dollars: str, outcome: str, code: str) -> None:
    decision = refund(policy, dollars)
    assert decision.outcome == outcome
    assert decision.reason_codes == [code]


def test_a_medium_refund_says_it_is_logged_for_review(policy: RiskPolicy) -> None:
    (reason,) = refund(policy, "250").reasons
    assert reason.detail == "$250.00 is above $100.00: confirmed and logged for review"


def test_an_order_outside_the_returns_window_needs_a_manager(policy: RiskPolicy) -> None:
    assert refund(policy, "20", age_days=30).outcome == "confirm"
    late = refund(policy, "20", age_days=31)
    assert late.outcome == "approval"
    assert late.reason_codes == ["small_refund", "outside_returns_window"]


def test_a_customer_with_recent_refunds_needs_a_manager(policy: RiskPolicy) -> None:
    assert refund(policy, "20", recent_refunds=1).outcome == "confirm"
    frequent = refund(policy, "20", recent_refunds=2)
    assert frequent.outcome == "approval"
    assert "refund_history" in frequent.reason_codes
    assert "2 refunds in the last 30 days" in frequent.reasons[-1].detail


# -- several signals at once ---------------------------------------------------------------


def test_every_reason_is_kept_and_the_strictest_outcome_wins(policy: RiskPolicy) -> None:
    decision = refund(
        policy, "700", age_days=45, recent_refunds=3, confidence=0.4,
        text="Refund $700 now or my lawyer will sue, this is awful and I hate you",
        consecutive_fallbacks=2,
    )
    assert decision.outcome == "handoff"
    assert decision.tier == "human"
    assert decision.reason_codes == [
        "sensitive_keywords", "low_confidence", "negative_sentiment", "repeated_fallback",
        "amount_above_approval_limit", "outside_returns_window", "refund_history",
    ]
    assert "legal: mentions lawyer, sue" in decision.reasons[0].detail


def test_approval_beats_confirm_when_no_one_asks_for_a_person(policy: RiskPolicy) -> None:
    decision = refund(policy, "250", age_days=40)
    assert decision.outcome == "approval"
    assert decision.reason_codes == ["medium_refund_logged", "outside_returns_window"]


def test_the_most_urgent_priority_and_the_first_topic_are_kept(policy: RiskPolicy) -> None:
    decision = decide(policy, "conversation", "complaint", "My card was hacked and I'm calling my lawyer")
    assert decision.outcome == "handoff"
    assert decision.priority == "urgent"  # payment_security beats the complaint's and legal's 'high'
    assert decision.topic == "complaint"
    assert decision.reason_codes == ["human_topic:complaint", "sensitive_keywords", "sensitive_keywords"]


def test_a_plain_request_for_a_person_stays_normal_priority(policy: RiskPolicy) -> None:
    assert decide(policy, "conversation", "request_human", "can I talk to someone").priority == "normal"


# -- the YAML is the policy ----------------------------------------------------------------


def test_making_email_changes_need_a_code_is_a_one_line_edit(tmp_path: Path, policy: RiskPolicy) -> None:
    raw = shipped_yaml()
    raw["actions"]["update_email"] = "otp"
    raw["version"] = "2026-11-22.1"
    edited = load_policy(write_policy(tmp_path, raw))

    before = decide(policy, "update_email", "update_email", "change my email to me@new.example")
    after = decide(edited, "update_email", "update_email", "change my email to me@new.example")
    assert (before.outcome, after.outcome) == ("confirm", "otp")
    assert after.policy_version == "2026-11-22.1"


def test_naming_who_signs_off_account_closures_is_a_one_line_edit(tmp_path: Path, policy: RiskPolicy) -> None:
    raw = shipped_yaml()
    raw["approvals"]["sign_off"]["close_account"] = ["manager"]
    edited = load_policy(write_policy(tmp_path, raw)).approvals

    assert sign_off.refusal(Role.SENIOR, "close_account", None, policy.approvals) is None
    assert sign_off.refusal(Role.SENIOR, "close_account", None, edited) == (
        "a senior can't sign this off: a manager may sign off an account closure")
    assert (policy.approvals.queue_for("close_account", None), edited.queue_for("close_account", None)) == ("senior", "manager")


def test_lowering_the_approval_limit_sends_smaller_refunds_to_a_manager(tmp_path: Path, policy: RiskPolicy) -> None:
    raw = shipped_yaml()
    raw["refunds"].update(small_max=25.0, approval_above=50.0)
    edited = load_policy(write_policy(tmp_path, raw))

    assert refund(policy, "60").outcome == "confirm"
    assert refund(edited, "60").outcome == "approval"
    assert refund(edited, "40").reason_codes == ["medium_refund_logged"]


def test_durations_are_read_as_written(tmp_path: Path) -> None:
    raw = shipped_yaml()
    raw["confirmation"]["expires_after"] = "90s"
    raw["otp"]["valid_for"] = "1h"
    edited = load_policy(write_policy(tmp_path, raw))
    assert (edited.confirmation_expiry, edited.otp.valid_for) == (timedelta(seconds=90), timedelta(hours=1))


def test_an_execution_left_unfinished_is_taken_up_after_the_time_the_policy_gives(tmp_path: Path) -> None:
    raw = shipped_yaml()
    assert load_policy(write_policy(tmp_path, raw)).unfinished_after == timedelta(minutes=2)
    raw["confirmation"]["unfinished_after"] = "30s"
    assert load_policy(write_policy(tmp_path, raw)).unfinished_after == timedelta(seconds=30)
    del raw["confirmation"]["unfinished_after"]  # a policy written before the setting: two minutes
    assert load_policy(write_policy(tmp_path, raw)).unfinished_after == timedelta(minutes=2)
    raw["confirmation"]["unfinished_after"] = 30
    with pytest.raises(PolicyError, match="'confirmation.unfinished_after' must be a duration like 90s"):
        load_policy(write_policy(tmp_path, raw))


def test_a_policy_written_before_the_per_address_sign_in_limit_loads_with_ten_an_hour(tmp_path: Path) -> None:
    raw = shipped_yaml()
    del raw["otp"]["sign_in_per_client_per_hour"]
    assert load_policy(write_policy(tmp_path, raw)).otp.sign_in_per_client_per_hour == 10
    raw["otp"]["sign_in_per_client_per_hour"] = 25
    assert load_policy(write_policy(tmp_path, raw)).otp.sign_in_per_client_per_hour == 25


def test_adding_a_keyword_escalates_it_without_a_release(tmp_path: Path, policy: RiskPolicy) -> None:
    raw = shipped_yaml()
    raw["keyword_topics"]["legal"]["words"].append("trading standards")
    edited = load_policy(write_policy(tmp_path, raw))
    text = "I'm reporting you to trading standards"
    assert decide(policy, "order_status", "ask_order_status", text).outcome == "auto"
    assert decide(edited, "order_status", "ask_order_status", text).outcome == "handoff"


# -- a bad file stops start-up and names the key ---------------------------------------------


def _set(path: str, value: Any) -> Callable[[Dict[str, Any]], None]:
    *parents, last = path.split(".")

    def edit(raw: Dict[str, Any]) -> None:
        node = raw
        for key in parents:
            node = node[key]
        node[last] = value
    return edit


def _drop(path: str) -> Callable[[Dict[str, Any]], None]:
    *parents, last = path.split(".")

    def edit(raw: Dict[str, Any]) -> None:
        node = raw
        for key in parents:
            node = node[key]
        del node[last]
    return edit


def _rename(path: str, new_name: str) -> Callable[[Dict[str, Any]], None]:
    *parents, last = path.split(".")

    def edit(raw: Dict[str, Any]) -> None:
        node = raw
        for key in parents:
            node = node[key]
        node[new_name] = node.pop(last)
    return edit


@pytest.mark.parametrize(
    ("edit", "names"),
    [
        pytest.param(_rename("confidence.intents", "intent"), "'confidence.intent' is not a known key", id="typo-in-optional-key"),
        pytest.param(_set("sentimnet", {"threshold": -0.5}), "'sentimnet' is not a known key", id="typo-top-level-key"),
        pytest.param(_set("actions.refnd", "confirm"), "'actions.refnd' is not a known key", id="typo-action-name"),
        pytest.param(_rename("refunds.approval_above", "aproval_above"), "'refunds.approval_above' is missing", id="typo-hides-required"),
        pytest.param(_drop("otp.max_sends"), "'otp.max_sends' is missing", id="missing-key"),
        pytest.param(_drop("actions.close_account"), "'actions.close_account' is missing", id="missing-action"),
        pytest.param(_set("sentiment.window", "three"), "'sentiment.window' must be a whole number", id="wrong-type-int"),
        pytest.param(_set("confidence.default", "high"), "'confidence.default' must be a number", id="wrong-type-number"),
        pytest.param(_set("confidence.intents.close_account", 1.5), "'confidence.intents.close_account' must be a number between", id="out-of-range"),
        pytest.param(_set("refunds.small_max", "100"), "'refunds.small_max' must be a positive amount", id="money-as-text"),
        pytest.param(_set("otp.max_attempts", True), "'otp.max_attempts' must be a whole number", id="bool-is-not-a-number"),
        pytest.param(_set("otp.sign_in_per_client_per_hour", 0), "'otp.sign_in_per_client_per_hour' must be a whole number above 0", id="no-sign-ins-at-all"),
        pytest.param(_set("human_intents.complaint.regulated", "yes"), "'human_intents.complaint.regulated' must be true or false", id="wrong-type-bool"),
        pytest.param(_set("keyword_topics.legal.words", "lawyer"), "'keyword_topics.legal.words' must be a list", id="words-not-a-list"),
        pytest.param(_set("actions.update_email", "sms_code"), "'actions.update_email' must be one of", id="bad-tier-name"),
        pytest.param(_set("refunds.small_max", 600.0), "'refunds.small_max' must not be larger than refunds.approval_above", id="small-above-approval"),
        pytest.param(_set("keyword_topics.legal.priority", "critical"), "'keyword_topics.legal.priority' must be one of", id="bad-keyword-priority"),
        pytest.param(_set("human_intents.ask_legal.priority", "asap"), "'human_intents.ask_legal.priority' must be one of", id="bad-intent-priority"),
        pytest.param(_set("refunds", [100, 500]), "refunds must be a mapping", id="section-not-a-mapping"),
        pytest.param(_set("confirmation.expires_after", 10), "'confirmation.expires_after' must be a duration like 90s, 10m or 1h, got 10", id="duration-without-unit"),
        pytest.param(_set("otp.valid_for", "5 days"), "'otp.valid_for' must be a duration", id="duration-unknown-unit"),
        pytest.param(_rename("otp.valid_for", "valid_minutes"), "'otp.valid_for' is missing", id="old-duration-key"),
        pytest.param(_set("actions.close_account", "by_amount"), "'actions.close_account' can't be by_amount", id="by-amount-not-a-refund"),
        pytest.param(_set("actions.order_status", "otp"), "'actions.order_status' answers a question, so it must be auto or handoff", id="question-behind-a-code"),
        pytest.param(_set("inbox.queues.topics.legal", "lawyers"), "'inbox.queues.topics.legal' must be one of agent, senior, manager", id="unknown-queue"),
        pytest.param(_drop("inbox.sla.urgent"), "'inbox.sla.urgent' is missing", id="priority-without-sla"),
        pytest.param(_set("inbox.escalate.admin", "manager"), "'inbox.escalate.admin' is not a known key", id="escalate-unknown-queue"),
        pytest.param(_set("approvals.limits.admin", 5.0), "'approvals.limits.admin' is not a known key", id="limit-for-unknown-role"),
        pytest.param(_set("approvals.escalate_after", "48h"), "'approvals.escalate_after' must be shorter than approvals.decide_within", id="escalate-after-expiry"),
        pytest.param(_drop("approvals.sign_off"), "'approvals.sign_off' is missing", id="no-sign-off-roles"),
        pytest.param(_drop("approvals.sign_off.close_account"), "'approvals.sign_off.close_account' is missing", id="kind-left-to-a-default"),
        pytest.param(_rename("approvals.sign_off.close_account", "close_acount"), "'approvals.sign_off.close_account' is missing", id="typo-in-sign-off-kind"),
        pytest.param(_set("approvals.sign_off.order_status", ["agent"]), "'approvals.sign_off.order_status' is not a known key", id="sign-off-for-a-question"),
        pytest.param(_set("approvals.sign_off.refund", ["agent"]), "'approvals.sign_off.refund' is signed off by amount: set the roles' approvals.limits", id="sign-off-for-an-amount"),
        pytest.param(_set("approvals.sign_off.close_account", "manager"), "'approvals.sign_off.close_account' must be a list", id="sign-off-not-a-list"),
        pytest.param(_set("approvals.sign_off.close_account", ["manager", "supervisor"]), "'approvals.sign_off.close_account[1]' must be one of agent, senior, manager", id="sign-off-unknown-role"),
        pytest.param(_set("approvals.sign_off.close_account", ["admin"]), "'approvals.sign_off.close_account' can't name admin: an admin approves nothing", id="sign-off-by-admin"),
        pytest.param(_set("opening_hours.timezone", "Mars/Olympus_Mons"), "'opening_hours.timezone' must be a time zone like America/New_York", id="unknown-time-zone"),
        pytest.param(_set("opening_hours.days.mon", "9-6"), "'opening_hours.days.mon' must be opening hours like \"09:00-18:00\"", id="hours-not-on-a-24-hour-clock"),
        pytest.param(_set("opening_hours.days.tue", "18:00-09:00"), "'opening_hours.days.tue' must close after it opens", id="closes-before-it-opens"),
        pytest.param(_set("opening_hours.days.sun", "shut"), "'opening_hours.days.sun' must be opening hours", id="closed-misspelt"),
        pytest.param(_drop("opening_hours.days.wed"), "'opening_hours.days.wed' is missing", id="a-day-left-out"),
        pytest.param(_set("opening_hours.closed_dates", ["25 December"]), "'opening_hours.closed_dates[0]' must be a date like 2026-12-25", id="closed-date-in-words"),
        pytest.param(_set("opening_hours.days", {d: "closed" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}),
                     "'opening_hours.days' must open on at least one day", id="never-open"),
        pytest.param(_set("voice.ring_seconds", 2), "'voice.ring_seconds' must be between 5 and 600", id="rings-too-short"),
        pytest.param(_set("voice.max_people", 0), "'voice.max_people' must be a whole number above 0", id="nobody-to-call"),
        pytest.param(_set("voice.callback_within", "4 hours"), "'voice.callback_within' must be a duration", id="callback-in-words"),
        pytest.param(_set("voice.hold_music_url", "ftp://music.example/hold.mp3"), "'voice.hold_music_url' must be a web address starting with https://", id="hold-music-not-on-the-web"),
        pytest.param(_set("voice.ring_for", 20), "'voice.ring_for' is not a known key", id="voice-typo"),
        pytest.param(lambda raw: (_set("actions.close_account", "approval")(raw), _set("approvals.sign_off.close_account", ["agent"])(raw)),
                     "'approvals.sign_off.close_account' must name senior or manager: actions.close_account goes to the approvals queue",
                     id="approval-nobody-in-the-queue-may-decide"),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_key(tmp_path: Path, edit: Callable[[Dict[str, Any]], None], names: str) -> None:
    raw = shipped_yaml()
    edit(raw)
    path = write_policy(tmp_path, raw)
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert names in str(refused.value)
    assert str(path) in str(refused.value)


@pytest.mark.parametrize(
    ("content", "names"),
    [
        pytest.param("version: '1'\nactions: [order_status: auto\n", "is not valid YAML", id="not-yaml"),
        pytest.param("- just\n- a list\n", "the top level must be a mapping", id="top-level-list"),
        pytest.param("", "the top level must be a mapping, got NoneType", id="empty-file"),
    ],
)
def test_a_file_that_is_not_a_policy_is_refused(tmp_path: Path, content: str, names: str) -> None:
    with pytest.raises(PolicyError, match=names):
        load_policy(write_policy(tmp_path, content))


def test_a_missing_policy_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"not found: .*nowhere\.yml \(set RISK_POLICY_PATH\)"):
        load_policy(tmp_path / "nowhere.yml")


def test_a_refused_file_is_never_half_applied(tmp_path: Path, policy: RiskPolicy) -> None:
    raw = shipped_yaml()
    raw["actions"]["cancel_subscription"] = "auto"
    raw["otp"]["valid_for"] = "0m"
    with pytest.raises(PolicyError, match="'otp.valid_for' must be a duration"):
        load_policy(write_policy(tmp_path, raw))
    # the policy in use is untouched: the running server keeps its last good policy
    assert decide(policy, "cancel_subscription", "cancel_subscription", "cancel it").outcome == "otp"



# -- opening hours and phone transfers -------------------------------------------------------


def test_the_shipped_policy_opens_as_the_assistant_says_it_does_in_new_york(policy: RiskPolicy) -> None:
    hours = policy.opening_hours
    assert hours.zone_name == "America/New_York"
    monday_8am = datetime(2026, 11, 23, 13, 0, tzinfo=timezone.utc)
    assert hours.is_open(monday_8am) and not hours.is_open(monday_8am - timedelta(minutes=1))
    assert not hours.is_open(datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc))  # Sunday noon
    assert not hours.is_open(datetime(2026, 12, 25, 17, 0, tzinfo=timezone.utc))  # Christmas Day, a Friday
    assert (policy.voice.ring_seconds, policy.voice.max_people, policy.voice.callback_within) == (20, 3, timedelta(hours=4))
    assert policy.voice.hold_music_url.startswith("http")


def test_a_policy_without_opening_hours_or_voice_is_always_open_with_the_default_transfer_rules(tmp_path: Path) -> None:
    raw = shipped_yaml()
    del raw["opening_hours"], raw["voice"]

    edited = load_policy(write_policy(tmp_path, raw))

    assert edited.opening_hours.is_open(datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc))
    assert (edited.voice.ring_seconds, edited.voice.max_people) == (20, 3)


def test_opening_hours_may_run_to_midnight_and_use_a_fixed_offset_where_there_is_no_time_zone_database(tmp_path: Path) -> None:
    raw = shipped_yaml()
    raw["opening_hours"]["timezone"] = "UTC-05:00"
    raw["opening_hours"]["days"]["sun"] = "12:00-24:00"

    hours = load_policy(write_policy(tmp_path, raw)).opening_hours

    assert hours.is_open(datetime(2026, 11, 23, 4, 59, tzinfo=timezone.utc))  # Sunday 11:59 pm at UTC-5
    assert not hours.is_open(datetime(2026, 11, 23, 5, 0, tzinfo=timezone.utc))  # Monday midnight
