"""The security headers on every response of the inbox, set in one place.

Every response gets a Content-Security-Policy unless its handler set its own (the customer
chat page does: its widget talks to Rasa, another origin). The inbox's own policy allows
only the inbox's origin: scripts, styles and fonts from ``'self'``, and for the live updates
``connect-src 'self'`` plus the explicit ``ws:``/``wss:`` form of the inbox's origin (older
browsers don't count a websocket to the same host as ``'self'``). No page may be framed by
another site (``frame-ancestors 'none'``, and ``X-Frame-Options`` for browsers without CSP).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from channels.webchat.page import PLAIN_HOST

EVERY_RESPONSE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def inbox_policy(request: web.Request) -> str:
    """The inbox's CSP for ``request``; the websocket's scheme follows the scheme the browser used."""
    own_socket = f" {'wss' if request.secure else 'ws'}://{request.host}" if PLAIN_HOST.fullmatch(request.host) else ""
    return ("default-src 'self'; "
            f"connect-src 'self'{own_socket}; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


@web.middleware
async def page_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as refusal:  # redirects and 404s are responses too
        _add_headers(refusal, request)
        raise
    _add_headers(response, request)
    return response


def _add_headers(response: web.StreamResponse, request: web.Request) -> None:
    if response.prepared:  # a websocket or a stream: its headers are already sent
        return
    response.headers.setdefault("Content-Security-Policy", inbox_policy(request))
    for name, value in EVERY_RESPONSE.items():
        response.headers.setdefault(name, value)
