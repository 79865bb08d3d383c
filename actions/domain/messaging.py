"""The port of a channel that texts a phone (SMS, WhatsApp): the delivery worker sends through it.

Sending is asynchronous: the worker runs on the inbox's event loop, and a provider that is slow
must not hold up anything else while it answers.
"""

from __future__ import annotations

from typing import Protocol


class DeliveryFailed(Exception):
    """The message was not accepted by the provider; the caller decides whether to try again.

    ``retryable`` says whether trying again may help (a timeout, the provider's 5xx) or not
    (the provider refused this message: a bad number, a blocked sender). ``unsure`` says the
    provider may have taken it all the same (no answer came back): before trying again, the
    caller must look for it rather than send a second one.
    """

    def __init__(self, message: str, retryable: bool = True, unsure: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.unsure = unsure


class SmsSender(Protocol):
    async def send_sms(self, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; return the provider's message id.

        Raises ``DeliveryFailed`` when the provider refuses or cannot be reached.
        """
        ...
