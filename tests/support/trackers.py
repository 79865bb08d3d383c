"""What Rasa's tracker store keeps of a conversation, read through Rasa's HTTP API."""

from __future__ import annotations

import json
import urllib.request

from bot.stack import Stack


def tracker_text(stack: Stack, conversation_id: str) -> str:
    """The conversation's whole tracker (events, their metadata and parse data, slots) as Rasa
    serves it: a secret that appears anywhere in it is in the tracker store."""
    url = f"{stack.rasa_url}/conversations/{conversation_id}/tracker?token={stack.api_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.dumps(json.loads(response.read()), ensure_ascii=False)  # Rasa writes "/" as "\/" in its JSON


def assert_sealed_in_tracker(stack: Stack, conversation_id: str, code: str) -> None:
    """The customer's code reached Rasa sealed (``/provide_otp`` with a reference) and is nowhere in
    the tracker, neither as typed nor split as customers type it ("123 456")."""
    kept = tracker_text(stack, conversation_id)
    assert '"/provide_otp"' in kept, "the code was not sent to Rasa sealed"
    for written in (code, f"{code[:3]} {code[3:]}", f"{code[:3]}-{code[3:]}"):
        assert written not in kept, f"the code {written!r} rests in {conversation_id}'s tracker"
