"""Builds the web chat channel's parts from the stack's settings (the Rasa process's composition root).

Rasa creates input channels from ``bot/credentials.yml`` with no arguments of ours, so the
channel asks here for what it needs: the identity secret it shares with the page that issues
tokens, and the inbox's database, where a page's acknowledgements mark replies delivered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import datetime, timezone
from typing import List

from actions.domain.session_tokens import MemoryTokenClaims, SessionTokens, WebChatResolver
from actions.settings import hitl_database_url, identity_secret

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _random_hex() -> str:
    return uuid.uuid4().hex


def api_token_from_env() -> str:
    """Rasa's API token (``RASA_TOKEN``, as ``bot/stack.py`` passes it): the inbox shows it to ask
    which conversations have a page open."""
    return os.environ.get("RASA_TOKEN", "")


def session_tokens() -> SessionTokens:
    return SessionTokens(identity_secret(), _random_hex)


def resolver_from_env() -> WebChatResolver:
    # Claims live in this process: one Rasa process serves the web chat in the embedded
    # default, and a socket stays on the process it connected to.
    return WebChatResolver(session_tokens(), MemoryTokenClaims(), _now, _random_hex)


def on_delivered_from_env():  # type: ignore[no-untyped-def]
    """Marks people's replies delivered when a page of their conversation acknowledges them."""
    from actions.store.database import make_engine
    from handoff.delivery import delivery_of
    from handoff.store import InboxStore

    store = InboxStore(make_engine(hitl_database_url()))

    async def delivered(conversation_id: str, message_ids: List[str]) -> None:
        for message_id in message_ids:
            delivery_id = delivery_of(message_id)
            if delivery_id is not None:
                await asyncio.to_thread(store.delivery_seen, delivery_id, conversation_id, _now())

    return delivered
