"""JSON bodies shaped like Twilio's Message, Call and IncomingPhoneNumber resources (API 2010-04-01).

Field names and value formats follow the ``api.v2010.account.message``, ``api.v2010.account.call``
and ``api.v2010.account.incoming_phone_number`` schemas: SIDs are a two-letter prefix plus 32 hex digits, dates are
RFC 2822 in GMT, counters are strings, and money fields stay null until Twilio prices them.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import urlencode

API_VERSION = "2010-04-01"

# The GSM-7 basic character set: messages made only of these fit 160 characters per segment.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def rfc2822(moment: datetime) -> str:
    """``Thu, 24 Aug 2023 05:01:45 +0000``, the format Twilio uses for resource dates."""
    return format_datetime(moment)


def num_segments(body: str) -> int:
    if not body:
        return 1
    single, multi = (160, 153) if set(body) <= GSM7 else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


def _first(params: Mapping[str, Sequence[str]], name: str) -> Optional[str]:
    values = params.get(name)
    return values[0] if values else None


def message_resource(account_sid: str, params: Mapping[str, Sequence[str]], now: datetime) -> dict[str, Any]:
    """The resource Twilio answers ``POST .../Messages.json`` with (status ``queued``)."""
    media = list(params.get("MediaUrl", ()))
    sid = new_sid("MM" if media else "SM")
    body = _first(params, "Body") or ""
    sender = _first(params, "From")
    service = _first(params, "MessagingServiceSid")
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": rfc2822(now),
        "date_sent": None,
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": service,
        "num_media": str(len(media)),
        "num_segments": str(num_segments(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        # Twilio reports 'accepted' while a Messaging Service still has to pick the sender.
        "status": "queued" if sender else "accepted",
        "subresource_uris": {
            "media": f"{uri}/Media.json",
            "feedback": f"{uri}/Feedback.json",
        },
        "to": _first(params, "To"),
        "uri": f"{uri}.json",
    }


def inbound_message_resource(account_sid: str, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The Message resource Twilio keeps for a message a phone sent to one of the account's numbers."""
    sid = params["MessageSid"]
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": params["Body"],
        "date_created": rfc2822(now),
        "date_sent": rfc2822(now),
        "date_updated": rfc2822(now),
        "direction": "inbound",
        "error_code": None,
        "error_message": None,
        "from": params["From"],
        "messaging_service_sid": None,
        "num_media": params.get("NumMedia", "0"),
        "num_segments": params.get("NumSegments", "1"),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "received",
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": params["To"],
        "uri": f"{uri}.json",
    }


def call_resource(account_sid: str, params: Mapping[str, Sequence[str]], now: datetime) -> dict[str, Any]:
    """The resource Twilio answers ``POST .../Calls.json`` with (status ``queued``)."""
    sid = new_sid("CA")
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{sid}"
    to, sender = _first(params, "To"), _first(params, "From")
    return {
        "account_sid": account_sid,
        "answered_by": None,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": sender,
        "from_formatted": sender,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {
            name: f"{uri}/{path}.json"
            for name, path in (
                ("notifications", "Notifications"),
                ("recordings", "Recordings"),
                ("payments", "Payments"),
                ("events", "Events"),
                ("siprec", "Siprec"),
                ("streams", "Streams"),
                ("user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"),
                ("user_defined_messages", "UserDefinedMessages"),
            )
        },
        "to": to,
        "to_formatted": to,
        "trunk_sid": None,
        "uri": f"{uri}.json",
    }


def incoming_phone_number_resource(account_sid: str, phone_number: str, now: datetime) -> dict[str, Any]:
    """A number the account owns, as a new Twilio number is: no webhooks set yet (Twilio's demo
    URL aside, which the fake leaves empty)."""
    sid = new_sid("PN")
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": API_VERSION,
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": phone_number,
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": phone_number,
        "sid": sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "status": "in-use",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": None,
        "type": "local",
        "uri": f"/{API_VERSION}/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": "",
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": "",
    }


def snake_case(name: str) -> str:
    """``SmsFallbackUrl`` -> ``sms_fallback_url``: a form parameter's field in the resource."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def page_body(
    key: str,
    records: list[dict[str, Any]],
    path: str,
    page: int,
    page_size: int,
    filters: Mapping[str, str],
) -> dict[str, Any]:
    """One page of a list, with the paging fields the twilio client follows (``next_page_uri``)."""
    def page_uri(number: int) -> str:
        return f"{path}?{urlencode({**filters, 'PageSize': page_size, 'Page': number})}"

    start = page * page_size
    chunk = records[start : start + page_size]
    has_next = start + page_size < len(records)
    return {
        key: chunk,
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": page_uri(0),
        "next_page_uri": page_uri(page + 1) if has_next else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": page_uri(page - 1) if page > 0 else None,
        "start": start,
        "uri": page_uri(page),
    }
