"""The customers' web chat: a socket.io channel whose conversation id the server decides.

Rasa's own socketio channel uses whatever session id the browser asks for as the sender id,
so any page could become any customer's conversation. Here the browser only presents the
signed token its page was given (``auth.token`` when the socket connects) and, with the
handshake's cookies, the browser-session secret the page's server set
(``protocol.BROWSER_COOKIE``; the page opens the socket ``withCredentials``). The web chat's
identity resolver (``actions.domain.session_tokens.WebChatResolver``) turns them into a
customer's conversation key or a visitor id: a token bound to another browser session, or
presented without its cookie, identifies nobody. Every socket of that conversation joins
one room. So:

- two tabs of one customer are one conversation: each tab's messages are echoed to the
  others, and the bot's and people's words reach every tab;
- a socket that asks for an id of its own (``session_request`` with ``session_id``, or a
  ``session_id`` beside a message) is given its own conversation, and the attempt is logged;
- on connecting, the page gets the conversation's history from the tracker, so a reload or
  a new tab shows the whole conversation; each message has a stable id, so nothing shows twice;
- the page acknowledges what it has put on screen (``delivered``), which is when a person's
  reply counts as delivered;
- the page gets a renewed token on connecting and on asking (``renew``), for its next connection,
  bound to the cookie the socket came with (unbound if it came with none: a browser that
  refuses cookies); handing it one claims the previous one for this socket, so a renewal the
  page never used is good for no other socket;
- a visitor who proves who they are in the chat (a code texted to the phone on a customer's
  record: ``actions.domain.identify``) is moved, every page of the visitor's chat at once, to
  the customer's one conversation: after the message that linked it, those sockets leave the
  visitor's room for the customer's and get a new ``session_confirm`` (signed in, with a token
  for the customer's conversation) and the customer's ``history``, followed by the exchange
  that signed the chat in. The visitor's own token names the customer from then on;
- a message answering a code prompt is sealed before Rasa sees it (``actions.domain.sealed``):
  the tracker, the history and the other tabs show ``(a code)``, never the digits.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from actions.client_address import CLIENT_METADATA_KEY, client_address
from actions.domain.clock import SystemClock
from actions.domain.links import client_digest
from actions.domain.sealed import SEALED_CODE_MESSAGE, SEALED_KEY, CodeSealer
from actions.domain.session_tokens import WebChatResolver
from actions.domain.sessions import Identity, Refused, is_visitor
from actions.domain.turn import MAX_MESSAGE_CHARS
from actions.json_input import storable_text_problem
from actions.settings import Network
from channels.webchat.history import bot_message, history_of, shown_text
from channels.webchat.protocol import INIT_PAYLOAD, browser_secret_in
from channels.webchat.shared_rooms import LocalFirstRedisManager

logger = logging.getLogger(__name__)

CHANNEL = "webchat"
#: Writes an attempt on someone else's conversation to the audit trail: (conversation id, event, detail).
Audit = Callable[[str, str, Dict[str, Any]], None]
#: Called with (conversation id, acknowledged message ids, "delivered" or "read") when a page has
#: shown messages, or shown them in view.
OnDelivered = Callable[[str, List[str], str], Awaitable[None]]


def _problem_with(text: Any) -> Optional[str]:
    """What is wrong with a message a page sent, in words for the customer; None if nothing."""
    if not isinstance(text, str) or not text.strip():
        return "Type a message before sending."
    if len(text) > MAX_MESSAGE_CHARS:
        return f"That message is too long: please keep it under {MAX_MESSAGE_CHARS} characters, or send it in parts."
    if storable_text_problem(text):  # a NUL or a lone surrogate: no database would keep it
        return "That message contains characters we can't read: please type it again."
    if text.lstrip().startswith("/") and text.strip() != INIT_PAYLOAD:
        # Rasa reads "/affirm" as that intent at full confidence: a customer's words are never a command
        return "Messages can't start with '/': please type it as a sentence."
    return None


def _open_pages(sio: AsyncServer, conversation_id: str) -> int:
    try:
        return len(list(sio.manager.get_participants("/", conversation_id)))
    except KeyError:  # no socket has connected since the server started: no namespace, no rooms
        return 0


class WebChatOutput(OutputChannel):
    """Sends to every socket of the conversation (its room), with ids the page acknowledges."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, sio: AsyncServer) -> None:
        self.sio = sio

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.sio.emit("bot_uttered", _live(text, kwargs), room=recipient_id)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.sio.emit("bot_uttered", _live(text, kwargs, buttons=buttons), room=recipient_id)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """Status lines ("you're in the queue", "Ali joined") travel as custom messages."""
        await self.sio.emit("bot_uttered", _live("", kwargs, custom=json_message), room=recipient_id)


def _live(text: str, kwargs: Dict[str, Any], **parts: Any) -> Dict[str, Any]:
    """Rasa hands an output channel the event's timestamp and metadata as ``kwargs``."""
    timestamp = float(kwargs.get("timestamp") or SystemClock().now().timestamp())
    return bot_message(text, timestamp, kwargs, **parts)


class WebChatInput(InputChannel):
    """Registered in ``bot/credentials.yml`` as ``channels.webchat.socket_channel.WebChatInput``."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        from bot.composition import webchat_input

        return webchat_input(credentials or {})

    def __init__(self, resolver: WebChatResolver, on_delivered: Optional[OnDelivered] = None,
                 socketio_path: str = "/socket.io", api_token: str = "", audit: Optional[Audit] = None,
                 trusted_proxies: Sequence[Network] = (), client_secret: bytes = b"",
                 redis_url: Optional[str] = None, redis_channel: str = "hitl-webchat", sealer: Optional[CodeSealer] = None) -> None:
        self.resolver = resolver
        self.sealer = sealer
        #: Several chat servers: the Redis they pass emits through, so any reaches a page open on another.
        self.redis_url = redis_url
        self.redis_channel = redis_channel  # Redis' channels span its databases: one per deployment
        self.trusted_proxies = trusted_proxies
        self.client_secret = client_secret
        self.audit = audit
        self.on_delivered = on_delivered
        self.api_token = api_token
        self.socketio_path = socketio_path
        self.sio: Optional[AsyncServer] = None
        self._app: Optional[Sanic] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WebChatOutput(self.sio) if self.sio is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS for the (long-polling) requests comes from `rasa run --cors`, which allows
        # credentials (the page's origin exactly, with cookies); who the customer is never rests
        # on the page's origin, only on the token and the browser-session cookie.
        manager = LocalFirstRedisManager(self.redis_url, channel=self.redis_channel) if self.redis_url else None
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=manager)
        webhook = SocketBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)
        self.sio = sio

        @webhook.listener("after_server_start")
        async def remember_app(app: Sanic, _: Any) -> None:
            self._app = app

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/pages/<conversation_id>", methods=["GET"])
        async def pages(request: Request, conversation_id: str) -> HTTPResponse:
            """How many pages of a conversation are open now, for the inbox to send news where the
            customer is; for callers holding Rasa's API token only."""
            if not self.api_token or not hmac.compare_digest(
                    request.headers.get("Authorization", "").encode(), f"Bearer {self.api_token}".encode()):
                return response.json({"error": "send 'Authorization: Bearer <Rasa's API token>'"}, status=401)
            return response.json({"pages": _open_pages(sio, conversation_id)})

        @sio.on("connect")
        async def connect(sid: str, environ: Dict[str, Any], auth: Optional[Dict[str, Any]] = None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            browser = browser_secret_in(str(environ.get("HTTP_COOKIE") or ""))
            identity, refused = await asyncio.to_thread(
                self._identify, sid, token if isinstance(token, str) else "", browser)
            await sio.save_session(sid, {"browser": browser})
            await self._join(sid, identity)
            await sio.emit("session_confirm", await self._confirmation(sid, identity, refused), to=sid)
            await sio.emit("history", {"messages": await self._history(identity.conversation_id)}, to=sid)
            return True

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            conversation_id = await self._conversation_of(sid)
            await self._note_requested_id(sid, data, conversation_id)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any = None) -> Dict[str, str]:
            """Returns the message's id to the page (its acknowledgement), or what was wrong."""
            conversation_id = await self._conversation_of(sid)
            if conversation_id is None:
                return {"error": "This chat is not connected: reload the page."}
            await self._note_requested_id(sid, data, conversation_id)
            text = data.get("message") if isinstance(data, dict) else None
            problem = _problem_with(text)
            if problem:
                await sio.emit("chat_error", {"message": problem}, to=sid)
                return {"error": problem}
            message_id = f"u-{uuid.uuid4().hex}"
            metadata = {"message_id": message_id, CLIENT_METADATA_KEY: self._client_of(sid)}
            ref = await asyncio.to_thread(self.sealer.seal_if_code, conversation_id, text) if self.sealer else None
            if ref is not None:  # a code answering the bot's prompt: Rasa records the reference, never the code
                text, metadata[SEALED_KEY] = SEALED_CODE_MESSAGE, ref
            await sio.emit("user_echo", {"id": message_id, "text": shown_text(text, metadata),
                                         "ts": self.resolver.now().timestamp()}, room=conversation_id, skip_sid=sid)
            await on_new_message(UserMessage(text, WebChatOutput(sio), conversation_id, input_channel=CHANNEL,
                                             metadata=metadata))
            await self._follow_link(conversation_id)
            return {"id": message_id}

        @sio.on("delivered")
        async def delivered(sid: str, data: Any = None) -> None:
            await self._acknowledged(sid, data, "delivered")

        @sio.on("read")
        async def read(sid: str, data: Any = None) -> None:
            await self._acknowledged(sid, data, "read")

        @sio.on("renew")
        async def renew(sid: str, _: Any = None) -> None:
            conversation_id = await self._conversation_of(sid)
            if conversation_id is not None:
                await sio.emit("token", {"token": await self._renewal(sid, conversation_id)}, to=sid)

        return webhook

    async def _acknowledged(self, sid: str, data: Any, state: str) -> None:
        conversation_id = await self._conversation_of(sid)
        ids = data.get("ids") if isinstance(data, dict) else None
        if conversation_id is None or not isinstance(ids, list) or self.on_delivered is None:
            return
        wanted = [i for i in ids[-200:] if isinstance(i, str) and len(i) <= 80]  # the newest, on a long history
        if wanted:
            await self.on_delivered(conversation_id, wanted, state)

    async def _join(self, sid: str, identity: Identity, leaving: Optional[str] = None) -> None:
        """Put the socket in the conversation's room (out of ``leaving``'s), and remember which it is."""
        assert self.sio is not None
        async with self.sio.session(sid) as session:
            session["conversation_id"] = identity.conversation_id
        if leaving is not None:
            await _done(self.sio.leave_room(sid, leaving))
        await _done(self.sio.enter_room(sid, identity.conversation_id))

    async def _follow_link(self, conversation_id: str) -> None:
        """If the message just linked this visitor's chat to a customer, move every page of it there."""
        assert self.sio is not None
        if not is_visitor(conversation_id):
            return
        identity = await asyncio.to_thread(self.resolver.linked, conversation_id)
        if identity is None:
            return
        # the customer's conversation, then how this chat signed in (the page would lose it otherwise)
        history = await self._history(identity.conversation_id) + await self._history(conversation_id)
        for sid, _ in list(self.sio.manager.get_participants("/", conversation_id)):
            await self._join(sid, identity, leaving=conversation_id)
            await self.sio.emit("session_confirm", await self._confirmation(sid, identity), to=sid)
            await self.sio.emit("history", {"messages": history}, to=sid)
        logger.info("web chat visitor %s signed in with a code: moved to %s", conversation_id, identity.conversation_id)

    def _identify(self, sid: str, token: str, browser: str) -> Tuple[Identity, bool]:
        """Who the socket is, and whether it presented a token that was refused (then: a new visitor)."""
        resolution = self.resolver.resolve({"token": token, "socket": sid, "browser": browser})
        if isinstance(resolution, Refused):
            logger.warning("web chat connection %s: %s; it is given a new visitor conversation", sid, resolution.reason)
            visitor = self.resolver.new_visitor()
            if token and self.audit is not None:  # no token at all is just a new visitor, not an attempt
                self.audit(visitor.conversation_id, "identity_token_refused", {"reason": resolution.reason, "socket": sid})
            return visitor, True
        return resolution, False

    async def _confirmation(self, sid: str, identity: Identity, token_refused: bool = False) -> Dict[str, Any]:
        """What the page learns: signed in or not, its token for the next connection, and whether the
        token it came with was refused (a signed-in page then fetches a fresh one from its server)."""
        return {"signed_in": identity.customer_id is not None, "token_refused": token_refused,
                "token": await self._renewal(sid, identity.conversation_id)}

    async def _renewal(self, sid: str, conversation_id: str) -> str:
        """A token for the socket's next connection, bound like the socket; the one it was handed
        before is claimed for it (the resolver's ``renewal``), so only the newest is good elsewhere."""
        assert self.sio is not None
        async with self.sio.session(sid) as session:
            token = await asyncio.to_thread(self.resolver.renewal, conversation_id, sid,
                                            session.get("browser", ""), session.get("handed", ""))
            session["handed"] = token
        return token

    def _client_of(self, sid: str) -> Optional[str]:
        """A keyed hash of the address the socket connected from (its handshake's peer, or whom a
        trusted proxy names in X-Forwarded-For): the tracker keeps message metadata, so never the
        address itself. python-engineio's Sanic driver writes REMOTE_ADDR as 127.0.0.1 whoever
        connects, so the peer is read from the Sanic request it keeps in the environ."""
        assert self.sio is not None
        environ = self.sio.get_environ(sid) or {}
        request = environ.get("sanic.request")
        peer = request.ip if request is not None else environ.get("REMOTE_ADDR")
        address = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR", ""), self.trusted_proxies)
        return client_digest(self.client_secret, address) if address else None

    async def _conversation_of(self, sid: str) -> Optional[str]:
        assert self.sio is not None
        try:
            session = await self.sio.get_session(sid)
        except KeyError:
            return None
        return session.get("conversation_id")

    async def _note_requested_id(self, sid: str, data: Any, conversation_id: Optional[str]) -> None:
        """A page that asks for a conversation id keeps its own; the attempt is logged and, once per
        socket, audited."""
        asked = data.get("session_id") if isinstance(data, dict) else None
        if not asked or asked == conversation_id or conversation_id is None:
            return
        logger.warning("web chat connection %s asked for conversation %r; it keeps its own", sid, str(asked)[:80])
        assert self.sio is not None
        async with self.sio.session(sid) as session:
            first = not session.get("asked_for_another")
            session["asked_for_another"] = True
        if first and self.audit is not None:
            await asyncio.to_thread(self.audit, conversation_id, "session_id_refused",
                                    {"asked_for": str(asked)[:80], "socket": sid})

    async def _history(self, conversation_id: str) -> List[Dict[str, Any]]:
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve(conversation_id)
        return history_of(e.as_dict() for e in tracker.events) if tracker else []



async def _done(result: Any) -> None:
    """Room changes are plain calls before python-socketio 5.10 and coroutines from it on."""
    if inspect.isawaitable(result):
        await result
