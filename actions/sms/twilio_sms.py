"""Send SMS through Twilio's Messages API, turning every failure into ``DeliveryFailed``.

The sender is synchronous on purpose: callers run it in a worker thread, never on the event
loop. It never logs message bodies, because bodies carry one-time codes.
"""

from __future__ import annotations

import logging
import re
from typing import Optional

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from actions.domain.messaging import DeliveryFailed
from actions.sms.twilio_http import build_twilio_client, check_base_url

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class TwilioDeliveryFailed(DeliveryFailed):
    """Twilio did not accept the message; ``status`` and ``code`` say why when Twilio answered."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[int] = None,
                 accepted: bool = False):
        # Twilio's own 5xx, a rate limit or no answer at all may pass; a refusal or a failure after
        # accepting the message would happen again
        super().__init__(message, retryable=not accepted and (status is None or status >= 500 or status == 429))
        self.status = status
        self.code = code


def mask_number(number: str) -> str:
    """Keep only the last four digits, enough to correlate logs without exposing the customer."""
    digits = re.sub(r"\D", "", number)
    return f"***{digits[-4:]}" if digits else "***"


def _validate(account_sid: str, auth_token: str, from_number: str) -> None:
    if not account_sid or not account_sid.strip():
        raise ValueError("Twilio account SID is empty: set TWILIO_ACCOUNT_SID (it starts with 'AC')")
    if not account_sid.startswith("AC"):
        raise ValueError(
            "Twilio account SID must start with 'AC': set TWILIO_ACCOUNT_SID to the Account SID "
            "shown in the Twilio console (not an API key SID)"
        )
    if not auth_token or not auth_token.strip():
        raise ValueError("Twilio auth token is empty: set TWILIO_AUTH_TOKEN")
    if not E164.match(from_number or ""):
        raise ValueError(
            f"Twilio sender must be an E.164 number such as +15005550006: set TWILIO_FROM_NUMBER "
            f"(got {from_number!r})"
        )


class TwilioSmsSender:
    """``SmsSender`` backed by ``twilio.rest.Client().messages.create``."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: Optional[str] = None,
        timeout: float = 10.0,
    ) -> None:
        _validate(account_sid, auth_token, from_number)
        if base_url is not None:
            base_url = check_base_url(base_url)
        if timeout <= 0:
            raise ValueError(f"Twilio timeout must be a positive number of seconds, got {timeout!r}")
        self.from_number = from_number
        self.timeout = timeout
        self._client = build_twilio_client(account_sid, auth_token, base_url=base_url, timeout=timeout)

    def _failure(self, exc: Exception, to: str) -> TwilioDeliveryFailed:
        """Say what went wrong in words an operator can act on (never the message body)."""
        if isinstance(exc, TwilioRestException):
            return TwilioDeliveryFailed(
                f"Twilio refused the SMS to {mask_number(to)} (HTTP {exc.status}, Twilio error {exc.code}): {exc.msg}",
                status=exc.status, code=exc.code,
            )
        if isinstance(exc, requests.Timeout):
            return TwilioDeliveryFailed(
                f"Twilio did not answer within {self.timeout:g}s while sending an SMS to "
                f"{mask_number(to)}: {type(exc).__name__}"
            )
        if isinstance(exc, requests.RequestException):
            return TwilioDeliveryFailed(
                f"Could not reach Twilio to send an SMS to {mask_number(to)}: {type(exc).__name__}: {exc}"
            )
        return TwilioDeliveryFailed(f"Twilio client error while sending an SMS: {exc}")

    def send_sms(self, to: str, body: str) -> str:
        """Ask Twilio to send ``body`` to ``to``; return the Message SID Twilio assigned."""
        try:
            message = self._client.messages.create(to=to, from_=self.from_number, body=body)
        except (TwilioException, requests.RequestException) as exc:
            failure = self._failure(exc, to)
            logger.warning("%s", failure)
            raise failure from exc
        if message.status in ("failed", "undelivered") or message.error_code:
            failure = TwilioDeliveryFailed(
                f"Twilio accepted then failed the SMS {message.sid} to {mask_number(to)} "
                f"(status {message.status}, Twilio error {message.error_code}): "
                f"{message.error_message}",
                code=message.error_code, accepted=True,
            )
            logger.warning("%s", failure)
            raise failure
        logger.info("SMS %s to %s accepted by Twilio (%s)", message.sid, mask_number(to), message.status)
        return str(message.sid)
