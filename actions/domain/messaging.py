"""The port through which one-time codes (and later, agent replies) leave the system."""

from __future__ import annotations

from typing import Protocol


class DeliveryFailed(Exception):
    """The message was not accepted by the provider; the caller must tell the customer."""


class SmsSender(Protocol):
    def send_sms(self, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; return the provider's message id.

        Raises ``DeliveryFailed`` when the provider refuses or cannot be reached.
        """
        ...
