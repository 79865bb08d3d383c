"""A tiny webhook endpoint for tests that need somewhere for the fake's webhooks to land.

It records what arrived and checks nothing: tests assert on signatures themselves, with the
same ``RequestValidator`` the application uses.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

from multidict import CIMultiDict, MultiDict
from twilio.request_validator import RequestValidator

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True)
class ReceivedWebhook:
    method: str
    url: str
    params: MultiDict[str]
    headers: CIMultiDict[str]

    @property
    def signature(self) -> Optional[str]:
        return self.headers.get("X-Twilio-Signature")

    def is_signed_by(self, auth_token: str) -> bool:
        """What an application does: validate the full URL and the form parameters."""
        return RequestValidator(auth_token).validate(self.url, self.params, self.signature or "")


class WebhookReceiver:
    """``with WebhookReceiver() as hooks: hooks.url("/sms")`` then inspect ``hooks.received``."""

    def __init__(self, status: int = 200, body: str = EMPTY_TWIML) -> None:
        self.status = status
        self.body = body
        self._received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def url(self, path: str = "/webhook") -> str:
        if self._server is None:
            raise RuntimeError("WebhookReceiver is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    @property
    def received(self) -> list[ReceivedWebhook]:
        with self._lock:
            return list(self._received)

    def __enter__(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                receiver._record(self, MultiDict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                receiver._record(self, MultiDict(parse_qsl(body, keep_blank_values=True)))

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = None

    def _record(self, handler: BaseHTTPRequestHandler, params: MultiDict[str]) -> None:
        url = f"http://{handler.headers['Host']}{handler.path}"
        with self._lock:
            self._received.append(
                ReceivedWebhook(handler.command, url, params, CIMultiDict(handler.headers.items()))
            )
        payload = self.body.encode("utf-8")
        handler.send_response(self.status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
