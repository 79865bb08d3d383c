"""Requests signed the way Twilio signs its webhooks, and the parameters Twilio sends.

Twilio computes ``X-Twilio-Signature`` as base64(HMAC-SHA1(auth token, URL + sorted params)).
We delegate to ``twilio.request_validator.RequestValidator.compute_signature`` so the fake can
never disagree with the validator the application uses.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Optional, Sequence, Union
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from tests.fake_twilio.resources import API_VERSION, new_sid

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


def send_signed(
    auth_token: str,
    url: str,
    params: Mapping[str, ParamValue],
    method: str = "POST",
    timeout: float = 10.0,
    signature: Optional[str] = None,
) -> WebhookReply:
    """Deliver a webhook like Twilio: form-encoded POST, or GET with the params in the query.

    For GET, Twilio signs the full URL (query included) with no body parameters.
    """
    method = method.upper()
    fields = as_multidict(params)
    headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": new_sid("")}
    if method == "GET":
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(list(fields.items()))) if q)
        url = urlunsplit(parts._replace(query=query))
        headers["X-Twilio-Signature"] = signature or sign(auth_token, url, {})
        response = requests.get(url, headers=headers, timeout=timeout, allow_redirects=False)
    elif method == "POST":
        headers["X-Twilio-Signature"] = signature or sign(auth_token, url, params)
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        response = requests.post(
            url,
            data=urlencode(list(fields.items())).encode("utf-8"),
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        )
    else:
        raise ValueError(f"Twilio sends webhooks with GET or POST, not {method}")
    return WebhookReply(response.status_code, response.text)


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
