"""A small voice application for playing calls against the fake Twilio: each route answers TwiML.

    with VoiceApp(auth_token) as app:
        app.route("/voice", lambda hook: "<Response><Say>Hi</Say></Response>")
        call = fake.place_call(JANE, fake.voice_number, app.url("/voice"))

Every request is recorded with whether its ``X-Twilio-Signature`` verifies, as the application
would check it; a route may call the fake's REST API from inside its handler, as apps do.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Callable, Optional, Union
from urllib.parse import parse_qsl, urlsplit

from multidict import MultiDict
from twilio.request_validator import RequestValidator

EMPTY = "<Response/>"


@dataclass(frozen=True)
class Hook:
    """One request the app received."""

    method: str
    url: str
    path: str
    query: dict[str, str]
    params: MultiDict[str]
    signed: bool

    def __getitem__(self, name: str) -> str:
        return self.params[name]

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.params.get(name, default)


Route = Callable[[Hook], Union[str, tuple[int, str]]]


class VoiceApp:
    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._routes: dict[str, Route] = {}
        self._hooks: list[Hook] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def route(self, path: str, answer: Union[str, Route]) -> None:
        """``answer``: TwiML, or a function of the request returning TwiML or ``(status, body)``."""
        self._routes[path] = answer if callable(answer) else (lambda hook, xml=answer: xml)

    def url(self, path: str) -> str:
        assert self._server is not None, "VoiceApp is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    @property
    def hooks(self) -> list[Hook]:
        with self._lock:
            return list(self._hooks)

    def hooks_to(self, path: str) -> list[Hook]:
        return [hook for hook in self.hooks if hook.path == path]

    def __enter__(self) -> "VoiceApp":
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                app._answer(self, MultiDict())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                app._answer(self, MultiDict(parse_qsl(body, keep_blank_values=True)))

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="voice-app", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _answer(self, handler: BaseHTTPRequestHandler, params: MultiDict[str]) -> None:
        url = f"http://{handler.headers['Host']}{handler.path}"
        parts = urlsplit(url)
        signed = self._validator.validate(url, params, handler.headers.get("X-Twilio-Signature", ""))
        hook = Hook(handler.command, url, parts.path, dict(parse_qsl(parts.query)), params, signed)
        with self._lock:
            self._hooks.append(hook)
        route = self._routes.get(parts.path)
        answer = route(hook) if route else (404, "no such route")
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        payload = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
