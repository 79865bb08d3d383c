"""Which scheme the browser used, when a proxy in front of the inbox ends TLS.

Behind a TLS-terminating proxy the inbox itself is reached over plain HTTP, so only the
proxy's ``X-Forwarded-Proto`` tells it the browser used HTTPS (and cookies must be Secure,
the websocket ``wss:``). Anyone can send that header, though, so it is believed only from a
peer in ``INBOX_TRUSTED_PROXIES``; from anyone else it is ignored (quietly: a stray header is
not worth a log line per request).
"""

from __future__ import annotations

from typing import Optional, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from actions.client_address import is_trusted_proxy
from actions.settings import Network


def scheme_from_trusted_proxies(proxies: Sequence[Network]) -> Middleware:
    """A middleware that hands on the request with the scheme a trusted proxy reports."""

    @web.middleware
    async def scheme_from_proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme = _forwarded_scheme(request) if proxies and is_trusted_proxy(request.remote, proxies) else None
        if scheme is not None and scheme != request.scheme:
            request = request.clone(scheme=scheme)
        return await handler(request)

    return scheme_from_proxy


def _forwarded_scheme(request: web.Request) -> Optional[str]:
    """The scheme the nearest proxy saw: the last entry, the one it added itself."""
    header = request.headers.get("X-Forwarded-Proto", "")
    scheme = header.rsplit(",", 1)[-1].strip().lower()
    return scheme if scheme in ("http", "https") else None

