"""Everything the fake remembers, shared between its server thread and the test's thread.

All access goes through one lock; readers get copies, so a test can iterate over requests or
messages while the server keeps recording.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Optional

from multidict import CIMultiDict, MultiDict

from actions.domain.clock import Clock

#: Messages Twilio answers with when it refuses a recipient.
REFUSAL_MESSAGES = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake received, exactly as the client sent it."""

    method: str
    path: str
    query: MultiDict[str]
    form: MultiDict[str]
    headers: CIMultiDict[str]
    auth_user: Optional[str]

    @property
    def params(self) -> MultiDict[str]:
        """The parameters Twilio would read: the form for POST, the query string otherwise."""
        return self.form if self.method == "POST" else self.query


@dataclass(frozen=True)
class SentWebhook:
    """One webhook the fake delivered (each copy of a duplicate is one), and how it was answered.

    ``status`` 0 means the target could not be reached; ``body`` then says why.
    """

    url: str
    params: MultiDict[str]
    signature: str
    idempotency_token: str
    status: int
    body: str


@dataclass(frozen=True)
class InjectedFailure:
    status: Optional[int]
    code: Optional[int]
    message: str
    delay: float = 0.0


def basic_auth(header: Optional[str]) -> Optional[tuple[str, str]]:
    """``(user, password)`` from an ``Authorization: Basic ...`` header, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


class FakeState:
    def __init__(self, account_sid: str, auth_token: str, clock: Clock) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._messages: dict[str, dict[str, Any]] = {}
        self._numbers: dict[str, dict[str, Any]] = {}
        self._params: dict[str, dict[str, list[str]]] = {}
        self._callbacks_sent: dict[str, list[str]] = {}
        self._failures: deque[InjectedFailure] = deque()
        self._refused: dict[str, int] = {}
        self._undeliverable: dict[str, int] = {}
        self._duplicates: deque[bool] = deque()
        self._webhooks: list[SentWebhook] = []
        #: Seconds between a message's status steps when the fake advances them itself (demo mode).
        self.advance_every: Optional[float] = None
        #: Called with each message resource as it is created (``FakeTwilio.on_message``).
        self.message_observers: list[Callable[[dict[str, Any]], None]] = []

    # -- recording ---------------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # -- failure injection -------------------------------------------------------------------
    def add_failure(self, failure: InjectedFailure, times: int) -> None:
        with self._lock:
            self._failures.extend([failure] * times)

    def pop_failure(self) -> Optional[InjectedFailure]:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def refuse(self, number: str, code: int) -> None:
        with self._lock:
            self._refused[number] = code

    def refusal_for(self, number: str) -> Optional[int]:
        with self._lock:
            return self._refused.get(number)

    def make_undeliverable(self, number: str, code: int) -> None:
        with self._lock:
            self._undeliverable[number] = code

    def undeliverable_code(self, number: str) -> Optional[int]:
        with self._lock:
            return self._undeliverable.get(number)

    def duplicate_webhooks(self, times: int, concurrently: bool) -> None:
        with self._lock:
            self._duplicates.extend([concurrently] * times)

    def pop_duplicate(self) -> Optional[bool]:
        """None: deliver the next webhook once; else deliver it twice (concurrently if True)."""
        with self._lock:
            return self._duplicates.popleft() if self._duplicates else None

    def record_webhook(self, sent: SentWebhook) -> None:
        with self._lock:
            self._webhooks.append(sent)

    def webhooks(self) -> list[SentWebhook]:
        with self._lock:
            return list(self._webhooks)

    # -- resources ---------------------------------------------------------------------------
    def add_message(self, resource: dict[str, Any], params: dict[str, list[str]]) -> None:
        with self._lock:
            self._messages[resource["sid"]] = resource
            self._params[resource["sid"]] = params
        for observer in list(self.message_observers):
            observer(resource)

    def remember_params(self, sid: str, params: dict[str, list[str]]) -> None:
        """What a call or participant was created with (the call itself lives in ``voice.VoiceEngine``)."""
        with self._lock:
            self._params[sid] = params

    def add_number(self, resource: dict[str, Any]) -> None:
        with self._lock:
            self._numbers[resource["sid"]] = resource

    def numbers(self) -> list[dict[str, Any]]:
        """The account's incoming phone numbers, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._numbers.values()))

    def update_number(self, sid: str, **fields: Any) -> Optional[dict[str, Any]]:
        """The number after the update, or None if the account has no number ``sid``."""
        with self._lock:
            if sid not in self._numbers:
                return None
            self._numbers[sid].update(fields)
            return copy.deepcopy(self._numbers[sid])

    def message(self, sid: str) -> Optional[dict[str, Any]]:
        with self._lock:
            found = self._messages.get(sid)
            return copy.deepcopy(found) if found else None

    def messages(self) -> list[dict[str, Any]]:
        """Oldest first, as created."""
        with self._lock:
            return copy.deepcopy(list(self._messages.values()))

    def params_of(self, sid: str) -> dict[str, list[str]]:
        with self._lock:
            return copy.deepcopy(self._params.get(sid, {}))

    def update_message(self, sid: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            self._messages[sid].update(fields)
            return copy.deepcopy(self._messages[sid])

    def callbacks_sent(self, sid: str) -> list[str]:
        with self._lock:
            return list(self._callbacks_sent.get(sid, []))

    def mark_callback_sent(self, sid: str, status: str) -> None:
        with self._lock:
            self._callbacks_sent.setdefault(sid, []).append(status)
