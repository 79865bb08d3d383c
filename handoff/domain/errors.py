"""Refusals the inbox explains to the person who asked, with the HTTP status that fits."""

from __future__ import annotations


class InboxError(Exception):
    """A request the inbox refuses; ``message`` says what to do instead."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Forbidden(InboxError):
    status = 403


class NotFound(InboxError):
    status = 404


class Conflict(InboxError):
    """The ticket or approval changed since the caller read it: someone else acted first."""

    status = 409


class TooSoon(InboxError):
    """Asked again before the rules allow (a new code, say): the message says how long to wait."""

    status = 429


class Unavailable(InboxError):
    """Something the answer depends on can't be reached now: nothing was changed, try again."""

    status = 503
