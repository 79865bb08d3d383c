"""WhatsApp through Twilio: ``POST /webhooks/whatsapp/webhook`` (and ``/status`` for delivery reports).

Everything webhook-shaped is in ``channels.twilio_webhooks``; Twilio writes WhatsApp addresses
``whatsapp:+E164``, and the number behind one is the customer's, the same as their SMS number.
WhatsApp's 24-hour customer-service window is kept by the delivery worker, from when the
customer last wrote (``channel_addresses.last_inbound_at``).
"""

from __future__ import annotations

from typing import Text

from channels.twilio_webhooks import TwilioWebhookInput


class TwilioWhatsAppInput(TwilioWebhookInput):
    prefix = "whatsapp:"

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"
