"""SMS through Twilio: ``POST /webhooks/sms/webhook`` (and ``/status`` for delivery reports).

Everything webhook-shaped is in ``channels.twilio_webhooks``. What is SMS's own: the carriers'
keywords. STOP (or UNSUBSCRIBE, CANCEL, END, QUIT, ...) as a whole message stops everything
to the number, an agent's replies included, until START; HELP gets a short answer. None of
them is a message to the bot. START's words ("yes" among them) count only from a number that
stopped: from anyone else "yes" is an answer.
"""

from __future__ import annotations

import asyncio
from typing import Text

from actions.domain.inbound import InboundMessage, sms_keyword
from channels.twilio_webhooks import TwilioWebhookInput

HELP_TEXT = ("Acme customer care: write your question here and our assistant (or one of our team) will answer. "
             "Reply STOP to stop messages, START to get them again.")


class TwilioSmsInput(TwilioWebhookInput):
    @classmethod
    def name(cls) -> Text:
        return "sms"

    async def before_the_bot(self, message: InboundMessage) -> bool:
        keyword = sms_keyword(message.text)
        if keyword is None:
            return True
        addresses, detail = self.parts.addresses, {"address": f"***{message.address[-4:]}"}
        if keyword == "stop":
            await asyncio.to_thread(addresses.opt_out, self.name(), message.address, message.received_at)
            await asyncio.to_thread(self.parts.audit, message.conversation_id, "sms_opted_out", detail)
            return False
        if keyword == "help":
            await asyncio.to_thread(self.parts.outbox, self.name(), message.conversation_id, HELP_TEXT)
            return False
        if not await asyncio.to_thread(addresses.opted_out, self.name(), message.address):
            return True  # "yes" from a number that never stopped is an answer to the bot
        await asyncio.to_thread(addresses.opt_out, self.name(), message.address, None)
        await asyncio.to_thread(self.parts.audit, message.conversation_id, "sms_opted_in", detail)
        return False
