"""The port of a channel that texts a phone (SMS today): the delivery worker sends through it."""

from __future__ import annotations

from typing import Protocol


class DeliveryFailed(Exception):
    """The message was not accepted by the provider; the caller decides whether to try again.

    ``retryable`` says whether trying again may help (a timeout, the provider's 5xx) or not
    (the provider refused this message: a bad number, a blocked sender).
    """

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsSender(Protocol):
    def send_sms(self, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; return the provider's message id.

        Raises ``DeliveryFailed`` when the provider refuses or cannot be reached.
        """
        ...
