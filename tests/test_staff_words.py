"""What a person in the inbox reads instead of the policy's codes: reasons, mood and first words."""

from __future__ import annotations

import re
from typing import List

import pytest

from actions.domain.policy import load_policy
from actions.domain.risk import Signals, assess
from actions.domain.sentiment import SentimentReading
from actions.domain.staff_words import (
    CaseContext,
    about_money,
    first_words,
    mood,
    why_in_words,
)
from actions.settings import PROJECT_ROOT

POLICY = load_policy(PROJECT_ROOT / "bot" / "risk_policy.yml")
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
ANGRY = SentimentReading(latest=-0.8, window_mean=-0.7, window_size=2)


def words_for(signals: Signals) -> List[str]:
    """The staff words for the reasons the real risk check gives."""
    decision = assess(signals, POLICY)
    reasons = [f"{r.code}: {r.detail}" for r in decision.reasons]
    texts = [signals.text]
    context = CaseContext(topic=decision.topic, mood=mood(signals.sentiment.latest, signals.sentiment.window_mean)
                          if signals.sentiment else "calm", about_money=about_money(signals.intent, decision.topic, texts))
    return why_in_words(reasons, context)


@pytest.mark.parametrize("signals, words", [
    (Signals("handoff", "request_human", 0.95, "let me talk to a person"), ["asked for a person"]),
    (Signals("handoff", "complaint", 0.95, "this is terrible service"), ["wants to make a complaint"]),
    (Signals("handoff", "out_of_scope", 0.9, "book me a flight"), ["asked for something outside our services"]),
    (Signals("handoff", "ask_legal", 0.9, "can I get legal advice"), ["mentioned a legal matter"]),
    (Signals("handoff", "gdpr_request", 0.9, "what do you hold on me"), ["asked about their personal data"]),
    (Signals("conversation", "ask_order_status", 0.9, "I'll call my lawyer"), ["mentioned a legal matter"]),
    (Signals("conversation", "complaint", 0.9, "someone used my stolen card"),
     ["wants to make a complaint", "reported a problem with a payment (possible fraud)"]),
    (Signals("refund", "request_refund", 0.41, "the thing with the money", amount_cents=2000),
     ["the bot wasn't sure what they meant"]),
    (Signals("conversation", "nlu_fallback", 0.3, "blorp", consecutive_fallbacks=2), ["the bot didn't understand them twice"]),
    (Signals("conversation", "ask_balance", 0.9, "you took my money twice, this is a disgrace", sentiment=ANGRY),
     ["angry about a charge"]),
    (Signals("conversation", "ask_delivery_date", 0.9, "where is it, this is awful", sentiment=ANGRY), ["sounded angry"]),
    (Signals("refund", "request_refund", 0.95, "refund 700", amount_cents=70000, order_age_days=45, recent_refunds=2),
     ["more than the bot may refund on its own ($700.00 is above $500.00)",
      "outside the returns window (order is 45 days old, window is 30)",
      "refunded recently (2 refunds in the last 30 days)"]),
])
def test_every_reason_the_policy_gives_reads_as_plain_words(signals: Signals, words: List[str]) -> None:
    said = words_for(signals)

    assert said == words
    assert not any(CODE.search(text) for text in said), said


@pytest.mark.parametrize("latest, mean, word", [
    (-0.9, -0.2, "angry"), (-0.5, 0.0, "angry"), (-0.49, -0.1, "upset"), (-0.05, 0.3, "upset"),
    (-0.04, 0.0, "calm"), (0.0, 0.0, "calm"), (0.49, 0.6, "calm"), (0.5, 0.7, "happy"), (0.9, 0.2, "calm"),
])
def test_mood_is_a_word_from_the_worse_of_the_latest_message_and_the_recent_mean(latest: float, mean: float,
                                                                                  word: str) -> None:
    assert mood(latest, mean) == word


def test_the_first_words_are_from_the_conversation_that_led_to_this_case() -> None:
    lines = [("customer", "hi"), ("agent", "Hello, sorted?"), ("bot", "Anything else?"),
             ("customer", "  my   parcel never came and the courier says it was delivered to a neighbour I don't know "
                          "at all, so where is it now"), ("customer", "hello??")]

    assert first_words(lines) == "my parcel never came and the courier says it was delivered to a neighbour I don't know…"
    assert first_words([("bot", "Hi!")]) is None
