"""Twilio's signature on a webhook, checked the one way every Twilio channel checks it.

A webhook is believed only if Twilio signed it: ``X-Twilio-Signature`` is checked with the
twilio library's ``RequestValidator`` against the URL Twilio called, built from the configured
public base URL (so it holds behind a proxy or a tunnel), query string included. A missing or
wrong signature is refused (403) and nothing is read further. While the auth token is rotated
(``TWILIO_AUTH_TOKEN_PREVIOUS`` set), a signature made with either token is believed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional, Sequence, Text, Union
from urllib.parse import parse_qs

from sanic import response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


class BadWebhook(ValueError):
    """The webhook can't be read; the message says what was wrong (answered with a 400)."""


def validators_for(auth_token: str, previous_auth_token: Optional[str] = None) -> Sequence[RequestValidator]:
    """One validator per token a webhook may be signed with: the auth token, and the one being rotated out."""
    return tuple(RequestValidator(token) for token in (auth_token, previous_auth_token) if token)


class TwilioSigned:
    """What a channel needs to check Twilio's signatures: its auth token, its public URL, its validators."""

    auth_token: str
    public_url: str
    validators: Sequence[RequestValidator]

    if TYPE_CHECKING:  # each channel names itself (Rasa's InputChannel.name)
        @classmethod
        def name(cls) -> Text: ...

    def _signed_or_refusal(self, request: Request, what: str) -> Union[RequestParameters, HTTPResponse]:
        """The signed form, or the answer to a request that is not Twilio's (403) or can't be read (400)."""
        try:
            return self.signed_form(request)
        except PermissionError as refused:
            logger.warning("%s %s refused: %s", self.name(), what, refused)
            return response.text(str(refused), status=403)
        except BadWebhook as bad:
            return response.text(str(bad), status=400)

    def signed_form(self, request: Request) -> RequestParameters:
        """The posted form, if Twilio signed it for the URL it called; PermissionError if not."""
        if not self.auth_token:
            raise PermissionError(f"the {self.name()} channel is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
                                  "and TWILIO_FROM_NUMBER to use it")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            raise PermissionError("missing X-Twilio-Signature: only Twilio's signed webhooks are taken here")
        url = self.public_url.rstrip("/") + request.path + (f"?{request.query_string}" if request.query_string else "")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadWebhook("the body must be UTF-8 text") from None
        if content_type == "application/json":
            # Twilio signs a JSON body through the bodySHA256 query parameter; without one there is nothing to check
            if "bodySHA256" not in request.args or not self._signed(url, body, signature):
                raise PermissionError("the X-Twilio-Signature does not match this JSON request")
            raise BadWebhook("this webhook takes Twilio's form posts (application/x-www-form-urlencoded), not JSON")
        form = RequestParameters(parse_qs(body, keep_blank_values=True))
        if not self._signed(url, form, signature):
            raise PermissionError("the X-Twilio-Signature does not match this request")
        return form

    def _signed(self, url: str, params: Any, signature: str) -> bool:
        return any(validator.validate(url, params, signature) for validator in self.validators)

