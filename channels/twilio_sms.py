"""SMS through Twilio: ``POST /webhooks/sms/webhook`` (and ``/status`` for delivery reports).

Everything webhook-shaped is in ``channels.twilio_webhooks``. What is SMS's own: the carriers'
keywords, handled as they arrive, ahead of anything queued before them. STOP (or UNSUBSCRIBE,
CANCEL, END, QUIT, ...) as a whole message stops every SMS to the number, an agent's replies and
approval notices included, until START, and cancels a confirmation or code that waited for the
customer's answer; HELP gets a short answer. None of them is a message to
the bot. START's words ("yes" among them) count only from a number that stopped: from anyone else
"yes" is an answer. "cancel" alone is a carrier's stop word: Twilio stops the number too.
"""

from __future__ import annotations

import asyncio
from typing import Optional, Text

from actions.domain.inbound import InboundMessage, sms_keyword
from actions.domain.sessions import staff_of
from channels.twilio_webhooks import TwilioWebhookInput

HELP_TEXT = ("Acme customer care: write your question here and our assistant (or one of our team) will answer. "
             "Reply STOP to stop messages, START to get them again.")


class TwilioSmsInput(TwilioWebhookInput):
    @classmethod
    def name(cls) -> Text:
        return "sms"

    async def channels_own(self, message: InboundMessage) -> Optional[str]:
        keyword = sms_keyword(message.text)
        if keyword == "start" and not await asyncio.to_thread(self.parts.addresses.opted_out, self.name(),
                                                              message.address):
            return None  # "yes" from a number that never stopped is an answer to the bot
        return keyword

    async def at_once(self, message: InboundMessage, what: str) -> None:
        addresses, detail = self.parts.addresses, {"address": f"***{message.address[-4:]}"}
        if what == "help":
            if staff_of(message.conversation_id) is None:  # a person of the inbox gets the inbox's own help
                await self.parts.reply(self.name(), message.conversation_id, HELP_TEXT)
            return
        stopping = what == "stop"
        await asyncio.to_thread(addresses.opt_out, self.name(), message.address,
                                message.received_at if stopping else None)
        if stopping and staff_of(message.conversation_id) is None:
            await asyncio.to_thread(self.parts.stopped, message.conversation_id)
        await asyncio.to_thread(self.parts.audit, message.conversation_id,
                                "sms_opted_out" if stopping else "sms_opted_in", detail)
