"""Point the official twilio client somewhere other than Twilio, without monkeypatching.

Tests (and local demos) run a fake Twilio on ``http://127.0.0.1:<port>``. The twilio library
builds every URL from hard-coded ``https://<product>.twilio.com`` domains, so the one clean
seam is its HTTP client: ``RedirectingHttpClient`` rewrites those URLs just before the request
leaves, keeping path and query, and leaves every other URL alone.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

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

    Shared by the SMS, WhatsApp and voice adapters so they all honour TWILIO_BASE_URL alike.
    """
    if timeout <= 0:
        raise ValueError(f"the Twilio request timeout must be positive, got {timeout!r}")
    http_client = (
        RedirectingHttpClient(base_url, timeout=timeout)
        if base_url
        else TwilioHttpClient(timeout=timeout)
    )
    return Client(account_sid, auth_token, http_client=http_client)
