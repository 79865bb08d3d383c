"""Long texts cut for channels that limit a message's length, at sentence boundaries.

An SMS carries at most 1600 characters (Twilio joins the segments on the phone), a WhatsApp
message 4096. A longer agent's reply becomes several messages, each a run of whole sentences,
so no message ends mid-sentence; a single sentence longer than the limit is cut between words,
and a word longer than the limit (a long link) where it must.
"""

from __future__ import annotations

import re
from typing import List

SMS_LIMIT = 1600
WHATSAPP_LIMIT = 4096

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def _pieces(text: str, limit: int) -> List[str]:
    """The text as pieces no longer than ``limit``: sentences, else words, else cuts."""
    pieces: List[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for word in sentence.split():
            pieces.extend(word[i:i + limit] for i in range(0, len(word), limit))
    return [piece for piece in pieces if piece]


def split_text(text: str, limit: int) -> List[str]:
    """``text`` as messages of at most ``limit`` characters, in order; one message if it fits."""
    if limit < 1:
        raise ValueError(f"a message limit must be positive, got {limit!r}")
    text = text.strip()
    if len(text) <= limit:
        return [text]
    messages: List[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = f"{current} {piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            messages.append(current)
            current = piece
    messages.append(current)
    return messages
