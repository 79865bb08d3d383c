"""Text one-time codes through Twilio's Messages API, asynchronously (``TwilioMessages``).

The settings are checked when the sender is made, with messages that say what to set.
"""

from __future__ import annotations

import re
from typing import Optional

from actions.sms.twilio_messages import OutgoingText, TwilioMessages

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def check_account(account_sid: str, auth_token: str) -> None:
    if not account_sid or not account_sid.strip():
        raise ValueError("Twilio account SID is empty: set TWILIO_ACCOUNT_SID (it starts with 'AC')")
    if not account_sid.startswith("AC"):
        raise ValueError(
            "Twilio account SID must start with 'AC': set TWILIO_ACCOUNT_SID to the Account SID "
            "shown in the Twilio console (not an API key SID)"
        )
    if not auth_token or not auth_token.strip():
        raise ValueError("Twilio auth token is empty: set TWILIO_AUTH_TOKEN")


def _validate(account_sid: str, auth_token: str, from_number: str) -> None:
    check_account(account_sid, auth_token)
    if not E164.match(from_number or ""):
        raise ValueError(
            f"Twilio sender must be an E.164 number such as +15005550006: set TWILIO_FROM_NUMBER "
            f"(got {from_number!r})"
        )


class TwilioSmsSender:
    """``SmsSender`` backed by ``TwilioMessages``: one SMS from ``from_number`` per call."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: Optional[str] = None,
        timeout: float = 10.0,
    ) -> None:
        _validate(account_sid, auth_token, from_number)
        self.from_number = from_number
        self.messages = TwilioMessages(account_sid, auth_token, base_url, timeout)

    @property
    def timeout(self) -> float:
        return self.messages.timeout

    async def send_sms(self, to: str, body: str) -> str:
        """Ask Twilio to send ``body`` to ``to``; return the Message SID Twilio assigned."""
        return await self.messages.send(OutgoingText(to, self.from_number, body=body))
