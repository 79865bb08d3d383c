"""Twilio's Messages API, asynchronously: send one message, or find one already sent.

Every failure becomes ``TwilioDeliveryFailed``, saying whether trying again may help and
whether Twilio may have taken the message all the same (no answer came back: a timeout, a
dropped connection, a 5xx from somewhere on the way). Twilio's API has no idempotency key, so
the caller's own key stands for one: before it tries again after such an answer, it asks
``find`` for the message, and adopts its SID instead of sending a second one.

Nothing here logs a message's body: bodies carry one-time codes and customers' words.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException

from actions.domain.messaging import DeliveryFailed
from actions.sms.twilio_http import async_twilio_client, check_base_url

logger = logging.getLogger(__name__)

#: How far back from the failed try a found message may have been created (the clocks of two machines).
CLOCK_SLACK = timedelta(minutes=2)
#: How many of the latest messages to the number ``find`` reads.
LOOK_BACK = 50


class TwilioDeliveryFailed(DeliveryFailed):
    """Twilio did not accept the message; ``status`` and ``code`` say why when Twilio answered."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[int] = None,
                 accepted: bool = False, unsure: bool = False):
        # Twilio's own 5xx, a rate limit or no answer at all may pass; a refusal or a failure after
        # accepting the message would happen again
        super().__init__(message, retryable=not accepted and (status is None or status >= 500 or status == 429),
                         unsure=unsure)
        self.status = status
        self.code = code


def mask_number(number: str) -> str:
    """Keep only the last four digits, enough to correlate logs without exposing the customer."""
    digits = re.sub(r"\D", "", number)
    return f"***{digits[-4:]}" if digits else "***"


@dataclass(frozen=True)
class OutgoingText:
    """One message as Twilio takes it: addresses on the wire (``+1555...`` or ``whatsapp:+1555...``),
    and words (``body``) or an approved template (``content_sid``)."""

    to: str
    from_: str
    body: Optional[str] = None
    content_sid: Optional[str] = None
    content_variables: Optional[str] = None  # JSON, e.g. {"1": "the agent's words"}
    status_callback: Optional[str] = None

    def matches(self, body: Optional[str]) -> bool:
        """Whether a message Twilio lists with ``body`` is this one (a template's words are Twilio's)."""
        return self.content_sid is not None or body == self.body


class TwilioMessages:
    def __init__(self, account_sid: str, auth_token: str, base_url: Optional[str] = None,
                 timeout: float = 10.0) -> None:
        if timeout <= 0:
            raise ValueError(f"Twilio timeout must be a positive number of seconds, got {timeout!r}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = check_base_url(base_url) if base_url is not None else None
        self.timeout = timeout

    def _client(self):  # noqa: ANN202 - an async context manager yielding twilio's Client
        return async_twilio_client(self.account_sid, self.auth_token, self.base_url, self.timeout)

    async def send(self, text: OutgoingText) -> str:
        """Ask Twilio to send ``text``; the Message SID Twilio assigned."""
        options = {"to": text.to, "from_": text.from_}
        options.update({name: value for name, value in (
            ("body", text.body), ("content_sid", text.content_sid), ("content_variables", text.content_variables),
            ("status_callback", text.status_callback)) if value})
        try:
            async with self._client() as client:
                message = await client.messages.create_async(**options)
        except (TwilioException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failure = self._failure(exc, text.to)
            logger.warning("%s", failure)
            raise failure from exc
        if message.status in ("failed", "undelivered") or message.error_code:
            failure = TwilioDeliveryFailed(
                f"Twilio accepted then failed the message {message.sid} to {mask_number(text.to)} "
                f"(status {message.status}, Twilio error {message.error_code}): {message.error_message}",
                code=message.error_code, accepted=True,
            )
            logger.warning("%s", failure)
            raise failure
        logger.info("message %s to %s accepted by Twilio (%s)", message.sid, mask_number(text.to), message.status)
        return str(message.sid)

    async def find(self, text: OutgoingText, since: datetime) -> List[str]:
        """The SIDs of messages like ``text`` that Twilio created from ``since`` on, oldest first.

        The caller leaves out those it knows as other messages. Raises ``TwilioDeliveryFailed``
        when Twilio can't be asked: then nobody knows, and nothing may be sent.
        """
        try:
            async with self._client() as client:
                listed = await client.messages.list_async(to=text.to, from_=text.from_, limit=LOOK_BACK)
        except (TwilioException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failure = self._failure(exc, text.to, looking=True)
            logger.warning("%s", failure)
            raise failure from exc
        return [str(message.sid) for message in reversed(listed)  # Twilio lists the latest first
                if message.date_created is not None and message.date_created >= since - CLOCK_SLACK
                and text.matches(message.body)]

    def _failure(self, exc: Exception, to: str, looking: bool = False) -> TwilioDeliveryFailed:
        """Say what went wrong in words an operator can act on (never the message body)."""
        doing = "looking for a message" if looking else "sending a message"
        if isinstance(exc, TwilioRestException):
            return TwilioDeliveryFailed(
                f"Twilio refused {doing} to {mask_number(to)} (HTTP {exc.status}, Twilio error {exc.code}): {exc.msg}",
                status=exc.status, code=exc.code, unsure=exc.status >= 500,
            )
        if isinstance(exc, asyncio.TimeoutError):
            return TwilioDeliveryFailed(
                f"Twilio did not answer within {self.timeout:g}s while {doing} to {mask_number(to)}", unsure=True)
        if isinstance(exc, aiohttp.ClientConnectorError):  # never connected: nothing was sent
            return TwilioDeliveryFailed(f"Could not reach Twilio while {doing} to {mask_number(to)}: {exc}")
        if isinstance(exc, aiohttp.ClientError):
            return TwilioDeliveryFailed(
                f"The connection to Twilio broke while {doing} to {mask_number(to)}: {type(exc).__name__}: {exc}",
                unsure=True)
        return TwilioDeliveryFailed(f"Twilio client error while {doing}: {exc}", unsure=True)
