"""The Rasa adapter: a plain rasa_sdk Tracker in, a Turn out; replies through the dispatcher."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import rasa_actions
from actions.client_address import CLIENT_METADATA_KEY
from actions.domain.phone_sessions import PhoneResolver
from actions.domain.turn import Turn
from actions.domain.waiting import queued_line
from tests.support.world import JANE, make_world


def user(text: str, intent: str, confidence: float = 0.95) -> Dict[str, Any]:
    """A customer message as Rasa's tracker holds it, from the REST channel (which identifies callers)."""
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": confidence}},
            "input_channel": "rest"}


def tracker(events: List[Dict[str, Any]], entities: List[Dict[str, Any]] = ()) -> Tracker:
    latest = dict(events[-1]["parse_data"], text=events[-1]["text"], entities=list(entities))
    return Tracker(JANE, {}, latest, events, False, None, None, "action_listen")


def test_a_turn_carries_intent_entities_and_the_recent_messages_of_this_session() -> None:
    events = [
        user("old session message", "greet"),
        {"event": "session_started"},
        user("hi", "greet"),
        user("refund $20 for order 1001", "request_refund", 0.91),
    ]
    entities = [{"entity": "order_id", "value": "1001"}, {"entity": "amount", "value": "$20"},
                {"entity": "order_id", "value": "1002"}]

    turn = rasa_actions.turn_from_tracker(tracker(events, entities), "refund")

    assert (turn.conversation_id, turn.request, turn.intent, turn.confidence) == (JANE, "refund", "request_refund", 0.91)
    assert turn.entities == {"order_id": "1001", "amount": "$20"}  # the first value of each entity
    assert turn.recent_texts == ("hi", "refund $20 for order 1001")
    assert turn.consecutive_fallbacks == 0


def test_consecutive_misunderstandings_are_counted_back_from_the_latest_message() -> None:
    events = [user("huh", "nlu_fallback", 0.2), user("hi", "greet"), user("blah", "nlu_fallback", 0.1), user("???", "nlu_fallback", 0.1)]

    assert rasa_actions.turn_from_tracker(tracker(events), "fallback").consecutive_fallbacks == 2


def test_an_action_answers_through_the_dispatcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_actions, "_assistant", make_world(tmp_path).assistant)
    dispatcher = CollectingDispatcher()

    events = asyncio.run(rasa_actions.ActionOrderStatus().run(
        dispatcher, tracker([user("where is order 1002", "ask_order_status")], [{"entity": "order_id", "value": "1002"}]), {}
    ))

    assert events == []
    assert [m["text"] for m in dispatcher.messages] == ["Order 1002 (Smart speaker) has shipped and is due Tue 24 Nov in the morning slot."]


def test_a_failure_inside_the_assistant_becomes_a_polite_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def handle(self, turn: object) -> List[str]:
            raise RuntimeError("database is on fire")

    monkeypatch.setattr(rasa_actions, "_assistant", Broken())
    dispatcher = CollectingDispatcher()

    asyncio.run(rasa_actions.ActionRefund().run(dispatcher, tracker([user("refund", "request_refund")]), {}))

    assert [m["text"] for m in dispatcher.messages] == [rasa_actions.SORRY]


def test_the_transcript_keeps_both_sides_with_their_times() -> None:
    events = [
        dict(user("hi", "greet"), timestamp=1763726400.0),
        {"event": "bot", "text": "Hi! I'm the Acme assistant.", "timestamp": 1763726401.5},
        {"event": "action", "name": "action_listen", "timestamp": 1763726401.6},
        dict(user("agent please", "request_human"), timestamp=1763726460.0),
    ]

    transcript = rasa_actions.turn_from_tracker(tracker(events), "handoff").transcript

    assert [(line.speaker, line.text) for line in transcript] == [
        ("customer", "hi"), ("bot", "Hi! I'm the Acme assistant."), ("customer", "agent please"),
    ]
    assert transcript[0].at.isoformat() == "2025-11-21T12:00:00+00:00"


def test_the_transcript_leaves_out_page_payloads_and_names_a_persons_words() -> None:
    events = [
        dict(user("/greet", "greet"), timestamp=1763726400.0),
        {"event": "bot", "text": "Hi! I'm the Acme assistant.", "timestamp": 1763726401.0},
        dict(user("my parcel is broken", "complaint"), timestamp=1763726410.0),
        {"event": "bot", "text": "Sorry to hear that, I'm on it.", "timestamp": 1763726420.0,
         "metadata": {"source": "inbox", "agent": "ali"}},
        dict(user("thanks", "thankyou"), timestamp=1763726430.0),
    ]

    turn = rasa_actions.turn_from_tracker(tracker(events), "small_talk")

    assert [(line.speaker, line.text) for line in turn.transcript] == [
        ("bot", "Hi! I'm the Acme assistant."), ("customer", "my parcel is broken"),
        ("agent", "Sorry to hear that, I'm on it."), ("customer", "thanks"),
    ]
    assert turn.recent_texts == ("my parcel is broken", "thanks")


def test_the_customer_follows_from_the_conversation_the_channel_chose_and_nothing_else() -> None:
    events = [dict(user("what's my balance?", "ask_balance"), input_channel="webchat")]

    def turn_of(sender: str) -> Turn:
        latest = dict(events[-1]["parse_data"], text=events[-1]["text"], metadata={"customer_token": "anything"})
        return rasa_actions.turn_from_tracker(Tracker(sender, {}, latest, events, False, None, None, "action_listen"),
                                              "account_balance")

    assert (turn_of(JANE).customer_id, turn_of(JANE).channel) == ("C001", "webchat")
    assert turn_of("+15550100001").customer_id is None  # a phone number as the id is nobody
    assert turn_of("visitor-" + "a" * 32).customer_id is None and turn_of("visitor-" + "a" * 32).from_visitor


def test_a_status_line_goes_out_as_a_custom_message_the_chat_shows_apart() -> None:
    dispatcher = CollectingDispatcher()

    rasa_actions.say(dispatcher, ["I'm bringing in a specialist.", queued_line(timedelta(hours=1), 2)])

    assert dispatcher.messages[0]["text"] == "I'm bringing in a specialist."
    assert dispatcher.messages[1]["custom"] == {
        "status_line": "You're in the queue for our customer care team, with 2 people ahead of you. "
                       "Expected wait: up to 1 hour.",
        "status": "queued"}


def test_a_conversation_on_a_channel_without_an_identity_resolver_names_nobody_whatever_its_id() -> None:
    # e.g. Rasa's stock socketio channel added to credentials.yml: there the client picks the sender id
    events = [dict(user("what's my balance?", "ask_balance"), input_channel="socketio")]
    latest = dict(events[-1]["parse_data"], text=events[-1]["text"])

    turn = rasa_actions.turn_from_tracker(Tracker(JANE, {}, latest, events, False, None, None, "action_listen"),
                                          "account_balance")

    assert (turn.channel, turn.identified, turn.customer_id) == ("socketio", False, None)


def test_the_address_is_read_from_the_web_chat_which_writes_it_itself_and_never_from_a_rest_caller() -> None:
    def turn_on(channel: str, metadata: Dict[str, Any]) -> Turn:
        events = [dict(user("my number is +15550100001", "inform"), input_channel=channel, metadata=metadata)]
        latest = dict(events[-1]["parse_data"], text=events[-1]["text"], metadata=metadata)
        return rasa_actions.turn_from_tracker(Tracker("visitor-" + "a" * 32, {}, latest, events, False, None, None,
                                                      "action_listen"), "reply")

    assert turn_on("webchat", {"message_id": "u-1", CLIENT_METADATA_KEY: "203.0.113.7"}).client == "203.0.113.7"
    assert turn_on("rest", {CLIENT_METADATA_KEY: "203.0.113.7"}).client is None  # the caller wrote it
    assert turn_on("socketio", {CLIENT_METADATA_KEY: "203.0.113.7"}).client is None
    assert turn_on("webchat", {CLIENT_METADATA_KEY: None}).client is None  # the channel could not tell
    assert turn_on("webchat", {CLIENT_METADATA_KEY: ["203.0.113.7"]}).client is None


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_on_sms_and_whatsapp_a_customers_key_names_the_customer_and_a_visitor_id_nobody(channel: str) -> None:
    events = [dict(user("what's my balance?", "ask_balance"), input_channel=channel)]

    def turn_of(sender: str) -> Turn:
        latest = dict(events[-1]["parse_data"], text=events[-1]["text"])
        return rasa_actions.turn_from_tracker(Tracker(sender, {}, latest, events, False, None, None, "action_listen"),
                                              "account_balance")

    assert (turn_of(JANE).channel, turn_of(JANE).identified, turn_of(JANE).customer_id) == (channel, True, "C001")
    assert turn_of("visitor-" + "a" * 32).customer_id is None and turn_of("visitor-" + "a" * 32).from_visitor
    assert turn_of("+15550100001").customer_id is None  # a number as the id is nobody


def test_a_text_from_a_number_on_no_account_gets_the_public_answers_and_nothing_of_janes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_world(tmp_path)
    monkeypatch.setattr(rasa_actions, "_assistant", world.assistant)
    stranger = PhoneResolver("sms", world.business, "s" * 32).resolve({"from": "+15559990000"}).conversation_id  # type: ignore[union-attr]
    jane = PhoneResolver("whatsapp", world.business, "s" * 32).resolve(  # type: ignore[union-attr]
        {"from": "whatsapp:+15550100001"}).conversation_id

    def answer(sender: str, channel: str, action: type, text: str, intent: str, **entities: str) -> str:
        events = [dict(user(text, intent), input_channel=channel)]
        latest = dict(events[-1]["parse_data"], text=text,
                      entities=[{"entity": name, "value": value} for name, value in entities.items()])
        dispatcher = CollectingDispatcher()
        asyncio.run(action().run(dispatcher, Tracker(sender, {}, latest, events, False, None, None, "action_listen"), {}))
        return " ".join(m["text"] for m in dispatcher.messages)

    assert answer(jane, "whatsapp", rasa_actions.ActionOrderStatus, "where is order 1002", "ask_order_status",
                  order_id="1002").startswith("Order 1002 (Smart speaker) has shipped")
    for action, text, intent, entities in [
        (rasa_actions.ActionOrderStatus, "where is order 1002", "ask_order_status", {"order_id": "1002"}),
        (rasa_actions.ActionAccountBalance, "what's my balance?", "ask_balance", {}),
    ]:
        told = answer(stranger, "sms", action, text, intent, **entities)
        assert told.startswith("I can't see which Acme account is yours") and "Smart speaker" not in told
    assert "within 30 days of delivery" in answer(stranger, "sms", rasa_actions.ActionFaq, "what's your returns policy?",
                                                  "ask_returns_policy")
    assert world.entries(stranger) and all(entry.detail.get("customer_id") is None for entry in world.entries(stranger))
