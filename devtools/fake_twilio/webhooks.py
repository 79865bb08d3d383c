"""Requests signed the way Twilio signs its webhooks, and the parameters Twilio sends.

Twilio computes ``X-Twilio-Signature`` as base64(HMAC-SHA1(auth token, URL + sorted params)).
We delegate to ``twilio.request_validator.RequestValidator.compute_signature`` so the fake can
never disagree with the validator the application uses.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Mapping, NamedTuple, Optional, Sequence, Union
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from devtools.fake_twilio.resources import API_VERSION, new_sid
from devtools.fake_twilio.state import FakeState, SentWebhook

ParamValue = Union[str, Sequence[str]]


class WebhookReply(NamedTuple):
    status: int
    body: str


def as_multidict(params: Mapping[str, ParamValue]) -> MultiDict[str]:
    """Repeated parameters (a list value) become repeated keys, as Twilio sends them."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values = [value] if isinstance(value, str) else list(value)
        pairs.extend((name, str(v)) for v in values)
    return MultiDict(pairs)


def sign(auth_token: str, url: str, params: Mapping[str, ParamValue]) -> str:
    return RequestValidator(auth_token).compute_signature(url, as_multidict(params))


@dataclass(frozen=True)
class SignedRequest:
    """A webhook ready to leave: signed once, so every copy of a duplicate is byte-identical."""

    method: str
    url: str
    data: Optional[bytes]
    headers: dict[str, str]
    params: MultiDict[str]

    @property
    def signature(self) -> str:
        return self.headers["X-Twilio-Signature"]

    @property
    def idempotency_token(self) -> str:
        return self.headers["I-Twilio-Idempotency-Token"]


def signed_request(
    auth_token: str, url: str, params: Mapping[str, ParamValue], method: str = "POST", signature: Optional[str] = None
) -> SignedRequest:
    """Build a webhook like Twilio: form-encoded POST, or GET with the params in the query.

    For GET, Twilio signs the full URL (query included) with no body parameters. Twilio sends
    the same ``I-Twilio-Idempotency-Token`` with every retry of one webhook.
    """
    method = method.upper()
    fields = as_multidict(params)
    headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": new_sid("")}
    if method == "GET":
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(list(fields.items()))) if q)
        url = urlunsplit(parts._replace(query=query))
        headers["X-Twilio-Signature"] = signature or sign(auth_token, url, {})
        return SignedRequest(method, url, None, headers, fields)
    if method == "POST":
        headers["X-Twilio-Signature"] = signature or sign(auth_token, url, params)
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        return SignedRequest(method, url, urlencode(list(fields.items())).encode("utf-8"), headers, fields)
    raise ValueError(f"Twilio sends webhooks with GET or POST, not {method}")


def send(request: SignedRequest, timeout: float = 10.0) -> WebhookReply:
    """One delivery; raises ``requests.RequestException`` when the target can't be reached."""
    response = requests.request(
        request.method, request.url, data=request.data, headers=request.headers, timeout=timeout, allow_redirects=False
    )
    return WebhookReply(response.status_code, response.text)


def deliver(state: FakeState, request: SignedRequest, timeout: float = 10.0) -> list[WebhookReply]:
    """Deliver ``request`` once, or twice when a duplicate was injected (both copies at the same
    moment if asked), recording every copy; a copy that could not be sent is answered status 0."""
    duplicate = state.pop_duplicate()
    copies = 1 if duplicate is None else 2
    if duplicate:
        start = threading.Barrier(copies)
        with ThreadPoolExecutor(max_workers=copies) as pool:
            replies = list(pool.map(lambda _: _send_recorded(state, request, timeout, start), range(copies)))
    else:
        replies = [_send_recorded(state, request, timeout) for _ in range(copies)]
    return replies


def _send_recorded(
    state: FakeState, request: SignedRequest, timeout: float, start: Optional[threading.Barrier] = None
) -> WebhookReply:
    if start is not None:
        start.wait(timeout)
    try:
        reply = send(request, timeout)
    except requests.RequestException as problem:
        reply = WebhookReply(0, f"could not reach {request.url}: {problem.__class__.__name__}")
    state.record_webhook(
        SentWebhook(request.url, request.params, request.signature, request.idempotency_token, *reply)
    )
    return reply


def inbound_sms_params(account_sid: str, from_: str, to: str, body: str) -> dict[str, str]:
    """The parameters Twilio POSTs to a number's messaging webhook for an incoming SMS."""
    sid = new_sid("SM")
    return {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": from_,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
    }


def whatsapp_address(number: str) -> str:
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


def inbound_whatsapp_params(
    account_sid: str, from_: str, to: str, body: str, profile_name: str = "Customer"
) -> dict[str, str]:
    """The parameters Twilio POSTs for an incoming WhatsApp message (addresses are prefixed)."""
    sender = whatsapp_address(from_)
    params = inbound_sms_params(account_sid, sender, whatsapp_address(to), body)
    params.update(
        {
            "MessageType": "text",
            "ProfileName": profile_name,
            "ReferralNumMedia": "0",
            "WaId": sender.removeprefix("whatsapp:").lstrip("+"),
        }
    )
    return params


def message_status_params(message: Mapping[str, object], status: str) -> dict[str, str]:
    """The parameters of a Message status callback (``MessageStatus`` plus the legacy ``SmsStatus``)."""
    params = {
        "AccountSid": str(message["account_sid"]),
        "ApiVersion": API_VERSION,
        "From": str(message["from"] or ""),
        "MessageSid": str(message["sid"]),
        "MessageStatus": status,
        "SmsSid": str(message["sid"]),
        "SmsStatus": status,
        "To": str(message["to"]),
    }
    if message.get("error_code"):
        params["ErrorCode"] = str(message["error_code"])
    return params
