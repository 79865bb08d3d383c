"""Rasa's REST channel, for trusted callers only.

The caller names the customer (``sender``: their phone number on file, or their
conversation key), so whoever can post to the webhook can speak as any customer. The
channel therefore answers only requests carrying ``Authorization: Bearer <HITL_REST_TOKEN>``:
a back-office system, the tests, a developer's curl. Customers' browsers use the web chat,
where identity is a signed token. Without a token configured the channel refuses everything.

The conversation is the customer's one conversation (``customer-<id>``), chosen by the REST
identity resolver (``actions.domain.sessions.RestResolver``), never the ``sender`` text
itself; a sender that is no customer is refused with a 400.

Rasa's REST channel reads the body as it comes: a JSON list, a string, ``null`` or an empty
body crash it (500), and a sender or message of the wrong type goes on into the tracker. Here
the body must be a JSON object with the sender and the message as text (``actions.json_input``
refuses malformed, deeply nested or unstorable JSON); anything else is a 400 that says what to
fix, before Rasa sees it.

A message answering a code prompt is sealed before Rasa sees it (``actions.domain.sealed``):
Rasa records ``/provide_otp`` and a reference, never the code.

Rasa's REST channel also answers 200 with no replies when the turn itself failed (its database
was down, the action server unreachable): it logs the error and sends what was collected. The
caller would take the message as taken. Here a turn that failed is a 503 that says to send the
message again, so that a 200 means the message is in the conversation; and since every Rasa
server loads this channel, it also makes the server's turns fail while the tracker store is down
rather than go on with a blank conversation (``channels.tracker_store_outage``), and it checks
action server responses with a prepared validator (``channels.action_response_check``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.domain.sealed import SEALED_CODE_MESSAGE, SEALED_KEY, CodeSealer
from actions.domain.sessions import Refused, RestResolver
from actions.domain.turn import MAX_MESSAGE_CHARS
from actions.json_input import BadJson, json_object
from channels.action_response_check import check_action_responses_with_one_validator
from channels.tracker_store_outage import fail_turns_while_the_tracker_store_is_down

logger = logging.getLogger(__name__)
TOKEN_VARIABLE = "HITL_REST_TOKEN"
#: The turn of the request being handled: its failure, if it failed (one request, one task).
_turn: ContextVar[Dict[str, BaseException]] = ContextVar("rest_turn")
TURN_FAILED = "the assistant could not take this message just now (a server or its database is down): send it again"


class TrustedRestInput(RestInput):
    """The REST channel (same name, same URL: /webhooks/rest/webhook) behind a bearer token."""

    def __init__(self, resolver: RestResolver, token: str, sealer: Optional[CodeSealer] = None) -> None:
        self.resolver = resolver
        self.token = token
        self.sealer = sealer

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TrustedRestInput":
        from bot.composition import rest_input

        return rest_input(credentials or {})

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return req.ctx.conversation_id

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Only what this channel wrote (a sealed code's reference): a caller's own metadata is
        not passed on, so it can't pose as a sealed code either."""
        return getattr(request.ctx, "metadata", None)

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # a caller can't make its messages look as if they came from another channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        async def noting_failure(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            except BaseException as failure:  # Rasa's handler logs it and answers 200: the 503 is ours
                _turn.get({})["failed"] = failure
                raise

        webhook = super().blueprint(noting_failure)

        @webhook.listener("after_server_start")
        async def rasa_server_started(app: Any, _: Any) -> None:
            fail_turns_while_the_tracker_store_is_down(getattr(app.ctx, "agent", None))
            check_action_responses_with_one_validator()

        @webhook.middleware("response")
        async def failed_turns_are_503(request: Request, answer: HTTPResponse) -> Optional[HTTPResponse]:
            if getattr(request.ctx, "turn", {}).get("failed") is not None:
                return response.json({"error": TURN_FAILED}, status=503)
            return None

        @webhook.middleware("request")
        async def trusted_callers_only(request: Request) -> Optional[HTTPResponse]:
            if not self.token:
                return response.json({"error": f"the REST channel is off: set {TOKEN_VARIABLE} to use it"}, status=403)
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                return response.json({"error": "send 'Authorization: Bearer <token>' with the REST channel's token"},
                                     status=401)
            if request.method != "POST":
                return None
            try:
                body = message_body(request.body)
            except BadJson as unusable:
                return response.json({"error": unusable.message}, status=400)
            try:
                resolution = await asyncio.to_thread(self.resolver.resolve, {"sender": body["sender"]})
            except Exception:  # noqa: BLE001 - the customer directory is unreachable: not the caller's fault
                logger.exception("REST message not taken: the sender could not be looked up")
                return response.json({"error": TURN_FAILED}, status=503)
            if isinstance(resolution, Refused):
                logger.warning("REST message refused: %s", resolution.reason)
                return response.json({"error": resolution.reason}, status=400)
            request.ctx.conversation_id = resolution.conversation_id
            request.ctx.turn = {}
            _turn.set(request.ctx.turn)
            await self._seal_if_code(request, body)
            request.parsed_json = body  # what Rasa's handler then reads
            return None

        return webhook

    async def _seal_if_code(self, request: Request, body: Dict[str, Any]) -> None:
        """A code answering the bot's prompt goes to Rasa sealed (``actions.domain.sealed``)."""
        if self.sealer is None:
            return
        ref = await asyncio.to_thread(self.sealer.seal_if_code, request.ctx.conversation_id, body["message"])
        if ref is not None:
            body["message"] = SEALED_CODE_MESSAGE
            request.ctx.metadata = {SEALED_KEY: ref}


def message_body(raw: bytes) -> Dict[str, Any]:
    """A customer's message as the REST channel takes it: who, what, and optionally metadata."""
    body = json_object(raw)
    for key, what in (("sender", "the customer's phone number"), ("message", "what the customer wrote")):
        if not isinstance(body.get(key), str) or not body[key]:
            raise BadJson(f"'{key}' must be {what}, as text")
    if len(body["message"]) > MAX_MESSAGE_CHARS:
        raise BadJson(f"'message' is {len(body['message'])} characters: send at most {MAX_MESSAGE_CHARS}, "
                      "in parts if need be")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise BadJson("'metadata', when given, must be a JSON object")
    if body.get("input_channel") is not None and not isinstance(body["input_channel"], str):
        raise BadJson("'input_channel', when given, must be text")
    return body
