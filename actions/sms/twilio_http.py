"""Point the official twilio client somewhere other than Twilio, without monkeypatching.

Tests (and local demos) run a fake Twilio on ``http://127.0.0.1:<port>``. The twilio library
builds every URL from hard-coded ``https://<product>.twilio.com`` domains, so the one clean
seam is its HTTP client: ``RedirectingHttpClient`` rewrites those URLs just before the request
leaves, keeping path and query, and leaves every other URL alone.

The delivery worker talks to Twilio from the inbox's event loop, through twilio's asyncio
client (``AsyncTwilioHttpClient``, aiohttp underneath): ``async_twilio_client`` opens one for
a piece of work and closes its connections after, so no session outlives the loop it was made on.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator, Dict, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client


def is_twilio_url(url: str) -> bool:
    """True for ``https://twilio.com/...`` and ``https://<anything>.twilio.com/...``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))


def redirect_twilio_url(url: str, base_url: str) -> str:
    """Move a Twilio URL onto ``base_url`` (which may carry a path prefix); others pass through."""
    if not is_twilio_url(url):
        return url
    target = urlsplit(base_url)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, original.fragment))


def check_base_url(base_url: str) -> str:
    """Return ``base_url`` without a trailing slash, or explain what TWILIO_BASE_URL must look like."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"TWILIO_BASE_URL must be an absolute http(s) URL such as http://127.0.0.1:8123, "
            f"got {base_url!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"TWILIO_BASE_URL must not carry a query or fragment, got {base_url!r}")
    return base_url.rstrip("/")


class RedirectingHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that sends every ``*.twilio.com`` request to ``base_url`` instead."""

    def __init__(self, base_url: str, timeout: Optional[float] = None) -> None:
        super().__init__(timeout=timeout)
        self.base_url = check_base_url(base_url)

    def request(
        self,
        method: str,
        url: str,
        params: Optional[Dict[str, object]] = None,
        data: Optional[Dict[str, object]] = None,
        headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout: Optional[float] = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            redirect_twilio_url(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def build_twilio_client(
    account_sid: str,
    auth_token: str,
    base_url: Optional[str] = None,
    timeout: float = 10.0,
) -> Client:
    """A twilio REST ``Client`` with a request timeout, redirected to ``base_url`` when given.

    For what runs outside an event loop (the going-live command, the fake Twilio's own client);
    the delivery worker texts through ``RedirectingAsyncHttpClient``. Both honour TWILIO_BASE_URL.
    """
    if timeout <= 0:
        raise ValueError(f"the Twilio request timeout must be positive, got {timeout!r}")
    http_client = (
        RedirectingHttpClient(base_url, timeout=timeout)
        if base_url
        else TwilioHttpClient(timeout=timeout)
    )
    return Client(account_sid, auth_token, http_client=http_client)


class RedirectingAsyncHttpClient(AsyncTwilioHttpClient):
    """twilio's asyncio HTTP client, sent to ``base_url`` when given, with its timeout applied.

    (twilio 8.2's async client ignores its own ``timeout`` unless each call repeats it, and a
    request with no timeout could hang a delivery forever.)
    """

    def __init__(self, base_url: Optional[str], timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = check_base_url(base_url) if base_url else None

    async def request(
        self,
        method: str,
        url: str,
        params: Optional[Dict[str, object]] = None,
        data: Optional[Dict[str, object]] = None,
        headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout: Optional[float] = None,
        allow_redirects: bool = False,
    ) -> Response:
        return await super().request(
            method,
            redirect_twilio_url(url, self.base_url) if self.base_url else url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )


@asynccontextmanager
async def async_twilio_client(
    account_sid: str, auth_token: str, base_url: Optional[str] = None, timeout: float = 10.0
) -> AsyncIterator[Client]:
    """A twilio REST ``Client`` for ``*_async`` calls, its connections closed when the block ends."""
    if timeout <= 0:
        raise ValueError(f"the Twilio request timeout must be positive, got {timeout!r}")
    async with RedirectingAsyncHttpClient(base_url, timeout) as http_client:
        yield Client(account_sid, auth_token, http_client=http_client)
