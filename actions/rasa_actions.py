"""Rasa custom actions: thin adapters from Rasa's tracker to the assistant and back.

Each action only names the request it stands for; the decisions live in
``actions.domain``. The assistant's work (database, business API, SMS) is blocking, so it
runs in a worker thread and the action server's event loop stays free.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.client_address import CLIENT_ADDRESS_CHANNELS, CLIENT_METADATA_KEY
from actions.domain.assistant import Assistant
from actions.domain.evidence import TranscriptLine
from actions.domain.sealed import SEALED_KEY, SEALING_CHANNELS
from actions.domain.sessions import IDENTIFYING_CHANNELS
from actions.domain.turn import Turn
from actions.domain.waiting import StatusLine, status_message
from actions.settings import Settings
from bot.composition import build_assistant, process_settings

logger = logging.getLogger(__name__)

_assistant: Optional[Assistant] = None
RECENT_MESSAGES = 10  # enough for any sentiment window the policy may ask for
SORRY = (
    "Sorry, something went wrong on our side. Please try again in a moment, "
    "or say 'agent' to talk to a person."
)


def get_assistant(settings: Optional[Settings] = None) -> Assistant:
    """The process-wide assistant, built on first use from ``settings`` (else the environment)."""
    global _assistant
    if _assistant is None:
        _assistant = build_assistant(settings or process_settings())
    return _assistant


def turn_from_tracker(tracker: Tracker, request: str) -> Turn:
    """The message as the assistant sees it. Who the customer is follows from the sender id
    alone, which the channel's identity resolver chose (``actions.domain.sessions``)."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    entities: Dict[str, str] = {}
    for entity in latest.get("entities") or []:
        entities.setdefault(str(entity.get("entity")), str(entity.get("value")))
    texts, fallbacks = _recent_user_messages(tracker.events)
    transcript = tuple(
        TranscriptLine(_when(e.get("timestamp")), _speaker(e), str(e.get("text") or ""))
        for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text") and not _is_payload(e)
    )
    return Turn(
        conversation_id=tracker.sender_id,
        request=request,
        intent=str(intent.get("name") or ""),
        confidence=float(intent.get("confidence") or 0.0),
        text=str(latest.get("text") or ""),
        entities=entities,
        recent_texts=texts,
        consecutive_fallbacks=fallbacks,
        transcript=transcript,
        sealed=_sealed_ref(tracker),
        **_channel_of(tracker),
    )


def unsealed(turn: Turn, assistant: Assistant) -> Turn:
    """The turn with the code its channel sealed (``actions.domain.sealed``) as its text, taken once:
    a second reading of the same message (or someone else's reference) reads nothing."""
    code = assistant.s.sealed.take(turn.sealed or "", turn.conversation_id, assistant.s.clock.now())
    return replace(turn, text=code or "", sealed=None, code_sealed=True)


def _channel_of(tracker: Tracker) -> Dict[str, Any]:
    """The channel the latest message came in on, whether it identifies anyone, and the network
    address it came from. A channel with no identity resolver (say Rasa's stock socketio, added
    to credentials.yml) lets the client choose the sender id, so its conversations name nobody,
    whatever they look like; the address is read only from a channel that writes it itself (on
    REST the metadata is the caller's)."""
    channel = tracker.get_latest_input_channel() or ""
    metadata = (tracker.latest_message or {}).get("metadata")
    client = metadata.get(CLIENT_METADATA_KEY) if channel in CLIENT_ADDRESS_CHANNELS and isinstance(metadata, dict) else None
    return {"channel": channel, "identified": channel in IDENTIFYING_CHANNELS,
            "client": client if isinstance(client, str) and client else None}


def _sealed_ref(tracker: Tracker) -> Optional[str]:
    """The reference of a code a channel sealed, on a message one of the sealing channels sent (they
    write the metadata themselves: a caller's own never reaches it)."""
    metadata = (tracker.latest_message or {}).get("metadata")
    ref = metadata.get(SEALED_KEY) if isinstance(metadata, dict) else None
    return ref if isinstance(ref, str) and ref and tracker.get_latest_input_channel() in SEALING_CHANNELS else None


def _speaker(event: Dict[str, Any]) -> str:
    if event["event"] == "user":
        return "customer"
    return "agent" if (event.get("metadata") or {}).get("source") == "inbox" else "bot"


def _is_payload(event: Dict[str, Any]) -> bool:
    """A button or the web chat's opening "/greet": an intent the page sent, not words the customer wrote."""
    return event["event"] == "user" and str(event.get("text") or "").startswith("/")


def _when(timestamp: Any) -> Optional[datetime]:
    return datetime.fromtimestamp(float(timestamp), tz=timezone.utc) if timestamp else None


def _recent_user_messages(events: List[Dict[str, Any]]) -> Tuple[Tuple[str, ...], int]:
    """The last few customer texts of this session, and how many in a row were not understood."""
    user_events = []
    for event in events:
        if event.get("event") == "session_started":
            user_events = []
        elif event.get("event") == "user" and not _is_payload(event):
            user_events.append(event)
    texts = tuple(str(e.get("text") or "") for e in user_events[-RECENT_MESSAGES:])
    fallbacks = 0
    for event in reversed(user_events):
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
            break
        fallbacks += 1
    return texts, fallbacks


def say(dispatcher: CollectingDispatcher, messages: List[str]) -> None:
    """The assistant's words as messages; status lines ("you're in the queue") as custom messages
    the chat shows apart, with their words for channels that can only show text."""
    for text in messages:
        if isinstance(text, StatusLine):
            dispatcher.utter_message(json_message=status_message(str(text), text.status))
        else:
            dispatcher.utter_message(text=text)


class AssistantAction(Action):
    action_name = ""
    request = ""

    def name(self) -> Text:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            turn = turn_from_tracker(tracker, self.request)
            if turn.sealed is not None:  # a code a caller entered: taken from where the channel sealed it
                turn = await asyncio.to_thread(unsealed, turn, get_assistant())
            messages = await asyncio.to_thread(get_assistant().handle, turn)
        except Exception:  # the customer gets a clear answer; the operator gets the traceback
            logger.exception("action %s failed for conversation %s", self.action_name, tracker.sender_id)
            messages = [SORRY]
        say(dispatcher, messages)
        return []


class NewsAction(Action):
    """Runs when people hand a conversation back or decide a request, or a code could not be sent
    (the inbox asks Rasa to run it).

    What it says comes from the database, not from the message that triggered it, and each
    piece of news is marked told as it is taken, so a repeated trigger says nothing twice.
    The outcome lands in the action's slot, if it has one, so the rest of the conversation knows it.
    """

    action_name = ""
    slot = ""
    #: The assistant's method that takes the news: (assistant, turn) -> (messages, outcome).
    news: Callable[[Assistant, Turn], Tuple[List[str], Optional[str]]]

    def name(self) -> Text:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            turn = Turn(conversation_id=tracker.sender_id, request="news", intent="", confidence=1.0, text="",
                        **_channel_of(tracker))
            messages, outcome = await asyncio.to_thread(self.news, get_assistant(), turn)
        except Exception:
            logger.exception("action %s failed for conversation %s", self.action_name, tracker.sender_id)
            return []
        say(dispatcher, messages)
        return [SlotSet(self.slot, outcome)] if outcome and self.slot else []


class ActionHandBack(NewsAction):
    action_name = "action_handback"
    slot = "handback_outcome"
    news = staticmethod(Assistant.handed_back)


class ActionApprovalDecided(NewsAction):
    action_name = "action_approval_decided"
    slot = "approval_status"
    news = staticmethod(Assistant.approvals_decided)


class ActionCodeNotSent(NewsAction):
    action_name = "action_code_not_sent"
    news = staticmethod(Assistant.codes_not_sent)


def _action(action_name: str, request: str) -> type:
    return type(f"Action_{action_name}", (AssistantAction,), {"action_name": action_name, "request": request})


ActionSmallTalk = _action("action_small_talk", "small_talk")
ActionOrderStatus = _action("action_order_status", "order_status")
ActionDeliveryDate = _action("action_delivery_date", "delivery_date")
ActionAccountBalance = _action("action_account_balance", "account_balance")
ActionFaq = _action("action_faq", "faq")
ActionChangeAddress = _action("action_change_address", "change_address")
ActionChangeDeliverySlot = _action("action_change_delivery_slot", "change_delivery_slot")
ActionUpdateEmail = _action("action_update_email", "update_email")
ActionRefund = _action("action_refund", "refund")
ActionCancelSubscription = _action("action_cancel_subscription", "cancel_subscription")
ActionCloseAccount = _action("action_close_account", "close_account")
ActionRemovePaymentMethod = _action("action_remove_payment_method", "remove_payment_method")
ActionHandoff = _action("action_handoff", "handoff")
ActionPendingReply = _action("action_pending_reply", "reply")
ActionFallback = _action("action_fallback", "fallback")
