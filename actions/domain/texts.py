"""Long texts cut for channels that limit a message's length, at sentence boundaries.

An SMS carries at most 1600 characters (Twilio joins the segments on the phone), a WhatsApp
message 4096, and a WhatsApp template's variable (the words of a template sent outside the
24-hour window) 255 on one line. A longer agent's reply becomes several messages, each a run of
whole sentences, so no message ends mid-sentence; a single sentence longer than the limit is cut
between words, and a word longer than the limit (a long link) where it must.
"""

from __future__ import annotations

import re
from typing import List

SMS_LIMIT = 1600
WHATSAPP_LIMIT = 4096
#: Twilio's limit on a template variable's value (its Content API says 255 characters; error 50541
#: refuses past 256); WhatsApp refuses a variable holding a newline, a tab or more than four spaces.
TEMPLATE_VARIABLE_LIMIT = 255

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


def one_line(text: str) -> str:
    """``text`` with every run of spaces, tabs and newlines made one space (a template variable)."""
    return " ".join(text.split())


def template_variables(text: str) -> List[str]:
    """``text`` as the variables of templates sent one after another, in order: each on one line,
    within Twilio's limit, cut between sentences as messages are."""
    return [one_line(part) for part in split_text(text, TEMPLATE_VARIABLE_LIMIT)]
