"""Talking to the Rasa server about a conversation: what the bot should say or do next.

Rasa stays the one record of the conversation: an agent's reply is added to the tracker as
the agent's words and sent out through the customer's current channel in one call, and the
bot's own follow-up (after a hand-back or a decision) is an action Rasa runs in place.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Optional, Sequence
from urllib.parse import quote

import aiohttp

#: 4xx answers that say nothing about the request itself: the same request may be taken later.
TRANSIENT_4XX = (401, 403, 408, 429)


class RasaUnavailable(Exception):
    """Rasa did not take the request (down, hung, a 5xx); it is tried again later."""


class RasaRefused(Exception):
    """Rasa answered that this request is wrong (a 4xx): sending it again would get the same answer."""


class RasaConversations:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: Optional[str],
                 timeout: float = 20.0, replica_urls: Sequence[str] = ()) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        #: Several Rasa servers behind one URL: a chat page is open on one of them, so all are asked.
        self.replica_urls = [url.rstrip("/") for url in replica_urls] or [self.base_url]

    async def open_pages(self, conversation_id: str) -> int:
        """How many web chat pages of the conversation are open now, on every Rasa server; a server
        that can't say counts 0."""
        counts = await asyncio.gather(*(self._open_pages_on(url, conversation_id) for url in self.replica_urls))
        return sum(counts)

    async def _open_pages_on(self, base_url: str, conversation_id: str) -> int:
        url = f"{base_url}/webhooks/webchat/pages/{quote(conversation_id, safe='+@:')}"
        try:
            async with self.session.get(url, headers={"Authorization": f"Bearer {self.token or ''}"},
                                        timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status != 200:
                    return 0
                return int((await response.json(content_type=None) or {}).get("pages") or 0)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, TypeError):
            return 0

    async def latest_channel(self, conversation_id: str) -> Optional[str]:
        tracker = await self._call("GET", conversation_id, "tracker", {"include_events": "NONE"})
        return tracker.get("latest_input_channel")

    async def record(self, conversation_id: str, text: Optional[str], metadata: Dict[str, Any],
                     push_to: Optional[str], custom: Optional[Dict[str, Any]] = None) -> None:
        """Add a person's words (or a ``custom`` message, such as a status line) to the tracker; with
        ``push_to`` (an input channel's name), Rasa also sends it through that channel's output, as
        if the bot had said it."""
        event: Dict[str, Any] = {"event": "bot", "text": text, "timestamp": time.time(), "metadata": metadata}
        if custom is not None:
            event["data"] = {"custom": custom}
        params = {"execute_side_effects": "true", "output_channel": push_to} if push_to else {}
        await self._call("POST", conversation_id, "tracker/events", params, event)

    async def run_action(self, conversation_id: str, action: str, output_channel: str = "latest") -> None:
        """Run the bot's action now, then leave the bot listening for the customer's next message.

        Rasa's execute endpoint runs the action but predicts nothing after it; without the
        ``action_listen`` the customer's next message would find the bot mid-turn.
        """
        await self._call("POST", conversation_id, "execute", {"output_channel": output_channel}, {"name": action})
        await self._call("POST", conversation_id, "tracker/events", {},
                         {"event": "action", "name": "action_listen", "timestamp": time.time()})

    async def _call(self, method: str, conversation_id: str, path: str, params: Dict[str, str],
                    body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        # Rasa's router does not decode %2B, so '+' (in phone numbers) is sent as it is
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe='+@:')}/{path}"
        if self.token:
            params = {**params, "token": self.token}
        try:
            async with self.session.request(method, url, params=params, json=body,
                                            timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status >= 400:
                    answer = f"Rasa answered {response.status}: {(await response.text())[:200]}"
                    if response.status < 500 and response.status not in TRANSIENT_4XX:
                        raise RasaRefused(answer)
                    raise RasaUnavailable(answer)
                return await response.json(content_type=None) or {}
        # on Python 3.10 aiohttp's timeouts are asyncio.TimeoutError, which is not the built-in one
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa is not reachable at {self.base_url} ({type(exc).__name__})") from exc
