"""What a customer sends besides words (a picture, a file, a shared location), written into the message.

Phone channels deliver media as URLs at the provider and a location as coordinates. The channel
writes each as one line of the message (``[attachment image/jpeg: https://...]``), so it is on
the conversation's record and, while people have the conversation, on the ticket where they
can open it. The bot reads words only: a message with nothing else gets a polite answer.
"""

from __future__ import annotations

import re

_MARK = re.compile(r"^\[(?:attachment|location)[^\]\n]*\]$", re.MULTILINE)
NO_WORDS_REPLY = ("Thanks. I can only read words here, not pictures, files or locations. "
                  "Could you tell me in a few words what you need?")
EMPTY_REPLY = "It looks like that message was empty. What can I help you with?"


def attachment_line(url: str, kind: str) -> str:
    """One attachment as a line of the message."""
    if kind == "location":
        return f"[location: {url}]"
    return f"[attachment {kind or 'file'}: {url}]"


def words_of(text: str) -> str:
    """The message without its attachment lines."""
    return _MARK.sub("", text).strip()


def reply_without_words(text: str) -> str:
    """The answer to a message with no words ("" when it has words): empty, or only attachments."""
    if words_of(text):
        return ""
    return NO_WORDS_REPLY if text.strip() else EMPTY_REPLY
