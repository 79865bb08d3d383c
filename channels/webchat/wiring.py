"""Builds the web chat channel's parts from the stack's settings (the Rasa process's composition root).

Rasa creates input channels from ``bot/credentials.yml`` with no arguments of ours, so the
channel asks here for what it needs: the identity secret it shares with the page that issues
tokens, and the assistant's database, where visitors' links to customers are kept and a
page's acknowledgements mark replies delivered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from typing import List

from sqlalchemy.engine import Engine

from actions.domain.session_tokens import SessionTokens, WebChatResolver
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


@lru_cache(maxsize=1)
def _engine() -> Engine:
    """The assistant's database, opened (and migrated) once for the channel's parts."""
    from actions.store.database import make_engine

    return make_engine(hitl_database_url())


def resolver_from_env() -> WebChatResolver:
    from actions.store.links import SqlIdentityLinks
    from actions.store.token_claims import SqlTokenClaims

    # Claims are in the database, so a token replayed to another chat server fails too. Links
    # are the action server's, so they are read from the database it writes them to.
    return WebChatResolver(session_tokens(), SqlTokenClaims(_engine()), _now, _random_hex, SqlIdentityLinks(_engine()))


def on_delivered_from_env():  # type: ignore[no-untyped-def]
    """Marks people's replies delivered when a page of their conversation acknowledges them."""
    from handoff.delivery import delivery_of
    from handoff.store import InboxStore

    store = InboxStore(_engine())

    async def delivered(conversation_id: str, message_ids: List[str]) -> None:
        for message_id in message_ids:
            delivery_id = delivery_of(message_id)
            if delivery_id is not None:
                await asyncio.to_thread(store.delivery_seen, delivery_id, conversation_id, _now())

    return delivered
