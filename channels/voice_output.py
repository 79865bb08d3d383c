"""What the bot says to a caller outside a turn: news after a hand-back or a decision.

Rasa sends it through the voice channel's output channel (the inbox asks Rasa to run the news
action with the caller's latest channel). A call cannot take words at any moment, so they are
queued for the caller's live call and said at its next document; a caller still in a transfer
whose ticket people just handed back is brought back to the assistant to hear them. With no
live call the words are texted to the caller instead (SMS, through the delivery worker), so
nothing is lost.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Dict, List, Text

from rasa.core.channels.channel import OutputChannel

from actions.domain.voice_calls import TRANSFER

if TYPE_CHECKING:
    from channels.twilio_voice import VoiceParts


class SpokenLater(OutputChannel):
    """The bot's words outside a turn: said at the live call's next document, else texted."""

    def __init__(self, parts: "VoiceParts") -> None:
        self.parts = parts

    @classmethod
    def name(cls) -> Text:
        return "voice_later"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        if not text.strip():
            return
        call = await asyncio.to_thread(self.parts.calls.live_for, recipient_id)
        if call is None:
            await asyncio.to_thread(self.parts.outbox, "sms", recipient_id, text.strip())
            return
        await asyncio.to_thread(self.parts.calls.queue_speech, call.call_sid, text.strip(), self.parts.now())
        if call.stage == TRANSFER and self.parts.transfers is not None:
            await self.parts.transfers.handed_back_in_the_inbox(call)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        line = json_message.get("text") or json_message.get("status_line") or json_message.get("line")
        if isinstance(line, str):
            await self.send_text_message(recipient_id, line)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, text)
