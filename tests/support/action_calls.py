"""What the Rasa server posts to the action server's /webhook, made up for tests that call it directly."""

from __future__ import annotations

from typing import Any, Dict


def action_call(action: str, sender: str, text: str, intent: str) -> Dict[str, Any]:
    """Run ``action`` for ``sender``, whose latest message was ``text`` understood as ``intent``."""
    parse_data = {"intent": {"name": intent, "confidence": 0.99}, "entities": [], "text": text}
    user = {"event": "user", "text": text, "parse_data": parse_data, "input_channel": "rest", "timestamp": 1763726400.0}
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": parse_data, "events": [user],
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"},
    }
