"""A turn fails while the tracker store is down, instead of going on with a blank conversation.

Rasa wraps every tracker store in a ``FailSafeTrackerStore``: when reading a conversation fails it
logs the error and hands the turn an empty tracker, and when saving fails it saves to memory. During
a database restart the bot then answers a customer as a stranger, and the SQL store, which appends
only the events beyond those it already holds, writes none of that turn: the message is answered
and lost. Its error callback is the one hook it offers; here it re-raises, so the turn fails (the
REST channel answers 503, a stored Twilio message is tried again) and nothing is said that is not
kept.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import FailSafeTrackerStore


def fail_turns_while_the_tracker_store_is_down(agent: Any) -> None:
    """Make the agent's tracker store raise its errors instead of falling back (``agent``: Rasa's Agent)."""
    store = getattr(agent, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore):
        store._on_tracker_store_error = _reraise


def _reraise(error: Exception) -> None:
    raise error
