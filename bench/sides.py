"""Both systems running side by side, with one client of each channel per side.

A ``Side`` knows how to reach one system's REST, web chat and SMS channels; ``Sides`` is the pair
the measurements use, with the shared fake Twilio (and its arrival stamps) and one HTTP session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import aiohttp

from actions.settings import Settings
from bench.channels import Rest, Sms, WebChat
from bench.customers import BenchCustomer
from bench.stacks import SHOP_NUMBER, StockStack
from bench.twilio_arrivals import Arrivals
from bot.composition import session_tokens
from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio


@dataclass
class Side:
    name: str  # "ours" or "stock"
    rasa_url: str
    api_token: str
    rest: Rest
    sms: Sms
    customers: List[BenchCustomer]
    #: ours: where the web chat's identity tokens are made (the stack's data folder); stock: None
    data_dir: Optional[Path] = None

    @property
    def stock(self) -> bool:
        return self.name == "stock"

    async def web_chat(self, customer: Optional[BenchCustomer] = None) -> WebChat:
        """A web chat page; on our side signed in as ``customer`` (a token as the shop's page makes it)."""
        page = WebChat(self.rasa_url, stock=self.stock)
        if customer is not None and self.data_dir is not None:
            tokens = session_tokens(Settings.from_env({"HITL_DATA_DIR": str(self.data_dir)}))
            page.token = tokens.issue(customer.conversation_id, datetime.now(timezone.utc))
        return await page.open()

    async def tracker_user_texts(self, session: aiohttp.ClientSession, conversation_id: str) -> List[str]:
        """The user messages the tracker holds for a conversation (Rasa's HTTP API)."""
        url = f"{self.rasa_url}/conversations/{conversation_id}/tracker"
        async with session.get(url, params={"token": self.api_token}) as answer:
            events = (await answer.json(content_type=None)).get("events") or []
        return [e.get("text") or "" for e in events if e.get("event") == "user"]


def our_side(stack: Stack, session: aiohttp.ClientSession, fake: FakeTwilio, arrivals: Arrivals,
             customers: List[BenchCustomer]) -> Side:
    return Side("ours", stack.rasa_url, stack.api_token, Rest(session, stack.rasa_url, stack.rest_token),
                Sms(session, fake, arrivals, f"{stack.public_url}/webhooks/sms/webhook", SHOP_NUMBER),
                customers, stack.data_dir)


def stock_side(stack: StockStack, session: aiohttp.ClientSession, fake: FakeTwilio, arrivals: Arrivals,
               customers: List[BenchCustomer]) -> Side:
    return Side("stock", stack.rasa_url, stack.api_token, Rest(session, stack.rasa_url),
                Sms(session, fake, arrivals, f"{stack.rasa_url}/webhooks/twilio/webhook", SHOP_NUMBER),
                customers)
