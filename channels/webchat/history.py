"""A conversation as the web chat page shows it, read from Rasa's tracker events.

Pure functions, shared by the live output channel and the history a page loads on
connecting, so a message has the same id either way and a page never shows it twice.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

from actions.domain.sealed import CODE_PLACEHOLDER, SEALED_CODE_MESSAGE, SEALED_KEY

BOT = {"kind": "bot", "name": "Acme assistant"}


def message_id(kind: str, timestamp: float, metadata: Mapping[str, Any]) -> str:
    """The id the page acknowledges: the one the sender gave (a person's reply carries its
    delivery id), else one made from when the tracker recorded it."""
    given = metadata.get("message_id")
    if isinstance(given, str) and given:
        return given
    return f"{kind[0]}-{float(timestamp):.6f}"


def speaker_of(metadata: Mapping[str, Any]) -> Dict[str, str]:
    """Who said it: a person from the inbox (by first name) or the assistant."""
    if metadata.get("source") == "inbox":
        return {"kind": "agent", "name": str(metadata.get("agent_name") or "Customer care").split(" ")[0]}
    return dict(BOT)


def history_of(events: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """What the customer and the other side said, oldest first; buttons the page sent
    ("/greet") and the bot's internal events are left out, and a sealed code shows as ``(a code)``."""
    messages: List[Dict[str, Any]] = []
    for event in events:
        kind, timestamp = event.get("event"), float(event.get("timestamp") or 0)
        metadata = event.get("metadata") or {}
        if kind == "user":
            text = shown_text(str(event.get("text") or ""), metadata)
            if text and not text.startswith("/"):
                messages.append({"id": message_id("user", timestamp, metadata), "text": text, "ts": timestamp,
                                 "from": {"kind": "customer"}})
        elif kind == "bot":
            data = event.get("data") or {}
            message = bot_message(str(event.get("text") or ""), timestamp, metadata,
                                  custom=data.get("custom"), buttons=data.get("buttons"))
            if message["text"] or "custom" in message:
                messages.append(message)
    return messages


def shown_text(text: str, metadata: Mapping[str, Any]) -> str:
    """A customer's message as pages show it: a code the channel sealed is ``(a code)``."""
    return CODE_PLACEHOLDER if text == SEALED_CODE_MESSAGE and metadata.get(SEALED_KEY) else text


def bot_message(text: str, timestamp: float, metadata: Mapping[str, Any], *, custom: Any = None,
                buttons: Optional[Iterable[Mapping[str, Any]]] = None) -> Dict[str, Any]:
    """The bot's or a person's message as a page gets it, live or in the history: the same id either way."""
    message: Dict[str, Any] = {"id": message_id("bot", timestamp, metadata), "text": text, "ts": timestamp,
                               "from": speaker_of(metadata)}
    if custom:
        message["custom"] = custom
    if buttons:
        message["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons]
    return message
