"""What the chat page and the web chat channel agree on, apart from the socket's events."""

from __future__ import annotations

from actions.domain.session_tokens import is_browser_secret

#: Sent by the page when a conversation has no history yet, so the assistant greets first: the one
#: message starting with "/" a page may send (Rasa reads "/<intent>" as that intent).
INIT_PAYLOAD = "/greet"
#: The browser-session cookie: set by the page's server, read from the socket's handshake by the
#: chat's server (cookies go by host name, not port, so both see it).
BROWSER_COOKIE = "acme_chat_browser"


def browser_secret_in(cookie_header: str) -> str:
    """The well-formed browser-session secret in a ``Cookie`` header, or "" (none, or only junk)."""
    for pair in cookie_header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == BROWSER_COOKIE and is_browser_secret(value):
            return value
    return ""
