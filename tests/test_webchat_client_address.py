"""The web chat names the network address each message came from, and nobody else can.

The address is the socket's own peer, or the one a trusted proxy in front of Rasa names in
``X-Forwarded-For``: sign-ins are limited per address (``actions.domain.identify``), so a
header any page can send, or a value a page puts beside its message, must change nothing.
The channel runs as Rasa mounts it, in a real Sanic server; only the message handler is
replaced, recording what would reach Rasa.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import multiprocessing
import queue
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import aiohttp
import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from actions.client_address import CLIENT_METADATA_KEY, client_address
from actions.domain.services import new_id
from actions.domain.links import client_digest
from actions.domain.session_tokens import MemoryTokenClaims, SessionTokens, WebChatResolver
from actions.settings import Settings, SettingsError
from bot.stack import free_port
from channels.webchat.socket_channel import WebChatInput
from tests.support.webchat_client import ChatPage

PROXY = ipaddress.ip_network("10.0.0.0/8")
#: The pages connect from this loopback address, not 127.0.0.1: python-engineio's Sanic driver
#: writes REMOTE_ADDR as 127.0.0.1 whoever connects, so only another address shows the real peer is read.
PAGE = "127.0.0.2"
#: What the channel keys its hash of an address with (``client_digest``).
SECRET = b"k" * 32


def hashed(address: str) -> str:
    return client_digest(SECRET, address)


def _serve(port: int, trusted_proxies: Tuple[str, ...], received: Any, ready: Any) -> None:
    """The web chat channel in a Sanic server of its own process (Sanic 21.12 starts one app per
    process cleanly); each message's metadata goes to ``received``."""
    async def on_new_message(message: UserMessage) -> None:
        received.put(dict(message.metadata or {}))

    resolver = WebChatResolver(SessionTokens("s" * 32, new_id), MemoryTokenClaims(),
                               lambda: datetime.now(timezone.utc), new_id)
    channel = WebChatInput(resolver, trusted_proxies=tuple(ipaddress.ip_network(p) for p in trusted_proxies),
                           client_secret=SECRET)
    app = Sanic(f"webchat_address_{port}")
    app.blueprint(channel.blueprint(on_new_message))
    app.register_listener(lambda *_: ready.set(), "after_server_start")
    app.run(host="127.0.0.1", port=port, access_log=False)


@dataclass
class ChatServer:
    url: str
    received: Any  # the metadata of each message that reached Rasa

    def address_of_a_message(self, headers: Dict[str, str], **extra: object) -> object:
        """A page connects with these handshake headers and says hello (``extra``: what it adds
        beside its message); what the channel put in the message's metadata for its address."""
        def session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(PAGE, 0)))

        async def scenario() -> None:
            page = await ChatPage(self.url, headers=headers, sio=socketio.AsyncClient(http_session=session)).open()
            await page.say("hello", **extra)
            await page.close()

        asyncio.run(scenario())
        metadata = self.received.get(timeout=10)
        assert PAGE not in json.dumps(metadata)  # Rasa keeps the metadata: never the address itself
        return metadata[CLIENT_METADATA_KEY]


@contextmanager
def chat_server(*trusted_proxies: str) -> Iterator[ChatServer]:
    context = multiprocessing.get_context("spawn")
    received, ready, port = context.Queue(), context.Event(), free_port()
    process = context.Process(target=_serve, args=(port, trusted_proxies, received, ready), daemon=True)
    process.start()
    try:
        assert ready.wait(60), "the chat server did not start"
        yield ChatServer(f"http://127.0.0.1:{port}", received)
        with pytest.raises(queue.Empty):
            received.get(timeout=0.5)  # nothing reached Rasa that a test did not look at
    finally:
        process.terminate()
        process.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    """Pages connect to it directly."""
    with chat_server() as running:
        yield running


@pytest.fixture(scope="module")
def proxied() -> Iterator[ChatServer]:
    """Pages reach it through a trusted proxy: the address the tests connect from is the proxy's."""
    with chat_server(f"{PAGE}/32") as running:
        yield running


def test_a_page_is_known_by_the_address_its_socket_connected_from(server: ChatServer) -> None:
    assert server.address_of_a_message({}) == hashed(PAGE)


def test_an_x_forwarded_for_from_a_page_that_is_no_trusted_proxy_changes_nothing(server: ChatServer) -> None:
    assert server.address_of_a_message({"X-Forwarded-For": "203.0.113.7"}) == hashed(PAGE)


def test_an_address_a_page_puts_beside_its_message_is_never_taken(server: ChatServer) -> None:
    address = server.address_of_a_message({}, metadata={CLIENT_METADATA_KEY: "203.0.113.7"},
                                          **{CLIENT_METADATA_KEY: "203.0.113.8"})
    assert address == hashed(PAGE)


def test_behind_a_trusted_proxy_the_page_is_known_by_the_address_the_proxy_names(proxied: ChatServer) -> None:
    assert proxied.address_of_a_message({"X-Forwarded-For": "203.0.113.7"}) == hashed("203.0.113.7")
    # what the page wrote itself comes before what the proxy added, and is never reached
    assert proxied.address_of_a_message({"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}) == hashed("203.0.113.7")


@pytest.mark.parametrize("peer, forwarded_for, client", [
    ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not from a proxy: the header is anyone's
    ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the entry the proxy added, not the page's
    ("10.0.0.5", "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # through two proxies of ours
    ("10.0.0.5", "", "10.0.0.5"),  # a proxy that names nobody stands for its client
    ("10.0.0.5", "203.0.113.7, not-an-address", "10.0.0.5"),  # nor does a garbled entry make one up
    ("::ffff:203.0.113.7", "", "203.0.113.7"),  # an IPv4 peer on a dual-stack socket
    ("", "203.0.113.7", None),  # a Unix socket has no address
])
def test_the_client_is_the_peer_or_whom_a_trusted_proxy_names(peer: str, forwarded_for: str, client: str) -> None:
    assert client_address(peer, forwarded_for, [PROXY]) == client


def test_the_web_chats_trusted_proxies_are_its_own_setting_and_a_bad_one_is_named(tmp_path: Path) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "WEBCHAT_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16"})
    assert settings.webchat_trusted_proxies == (ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("10.1.0.0/16"))
    assert settings.trusted_proxies == ()  # the inbox's proxies are not the chat's
    with pytest.raises(SettingsError, match="WEBCHAT_TRUSTED_PROXIES: 'proxy.local' is not an IP address"):
        Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "WEBCHAT_TRUSTED_PROXIES": "proxy.local"})
