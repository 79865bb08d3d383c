"""Rasa's REST channel, for trusted callers only.

On REST the sender id is taken as the customer's phone number, so whoever can post to the
webhook can speak as any customer. The channel therefore answers only requests carrying
``Authorization: Bearer <HITL_REST_TOKEN>``: a back-office system, the tests, a developer's
curl. Customers' browsers use the web chat (socket.io), where identity is a signed token.
Without a token configured the channel refuses everything.
"""

from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_VARIABLE = "HITL_REST_TOKEN"


class TrustedRestInput(RestInput):
    """The REST channel (same name, same URL: /webhooks/rest/webhook) behind a bearer token."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token if token is not None else os.environ.get(TOKEN_VARIABLE, "")

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TrustedRestInput":
        return cls((credentials or {}).get("token"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def trusted_callers_only(request: Request) -> Optional[HTTPResponse]:
            if not self.token:
                return response.json({"error": f"the REST channel is off: set {TOKEN_VARIABLE} to use it"}, status=403)
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                return response.json({"error": "send 'Authorization: Bearer <token>' with the REST channel's token"},
                                     status=401)
            return None

        return webhook
