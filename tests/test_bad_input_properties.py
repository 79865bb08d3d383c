"""Whatever arrives, the parsers of what customers and providers send either read it or refuse it
with words: property-based tests (hypothesis) over every parser that runs before a handler acts.

- the trusted REST body (``channels.trusted_rest.message_body``) and every JSON object we read
  (``actions.json_input.json_object``): a ``BadJson`` saying what to fix, never another exception;
- Twilio's SMS and WhatsApp webhooks (``TwilioWebhookInput.read``): a ``BadWebhook``;
- Twilio's voice webhooks (``channels.voice_requests``): a ``BadCall``;
- what a web chat page sends (``_problem_with``, the browser cookie): a polite word or nothing.

The HTTP side of the same (signed forms into the running channels, with nothing stored when a
webhook is refused) is in ``test_webhook_properties``; the inbox's API is in ``test_inbox_openapi``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from hypothesis import example, given
from hypothesis import strategies as st
from sanic.request import RequestParameters

from actions.domain.inbound import InboundMessage
from actions.domain.turn import MAX_MESSAGE_CHARS
from actions.domain.voice_calls import CODE, OFFER, YES_NO
from actions.json_input import BadJson, json_object, storable_text_problem
from channels import voice_requests
from channels.trusted_rest import message_body
from channels.twilio_signed import BadWebhook
from channels.twilio_sms import TwilioSmsInput
from channels.twilio_webhooks import MAX_BODY_CHARS, TwilioParts
from channels.twilio_whatsapp import TwilioWhatsAppInput
from channels.webchat.protocol import BROWSER_COOKIE, browser_secret_in
from channels.webchat.socket_channel import _problem_with

#: Any JSON value, nested a little, with the awkward leaves: huge numbers, NUL, odd keys.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
#: A body a REST caller might send: mostly objects with the right keys and wrong or odd values.
rest_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"sender": json_values, "message": json_values},
                          optional={"metadata": json_values, "input_channel": json_values}).map(
        lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"sender": st.sampled_from(["+15550100001", "customer-C001", ""]), "message": st.text()},
                          optional={"metadata": json_values}).map(lambda v: json.dumps(v).encode()),
)


@given(rest_bodies)
@example(b"[" * 100_000)
@example(b'{"sender": "+15550100001", "message": "a\\u0000b"}')
@example(b'{"sender": "+15550100001", "message": "\\ud83d"}')
@example(b'{"sender": 1e400, "message": NaN}')
def test_a_rest_body_is_read_or_refused_with_words(raw: bytes) -> None:
    try:
        body = message_body(raw)
    except BadJson as refused:
        assert refused.message and "Traceback" not in refused.message
        return
    assert isinstance(body["sender"], str) and body["sender"]
    assert isinstance(body["message"], str) and 0 < len(body["message"]) <= MAX_MESSAGE_CHARS
    assert not storable_text_problem(body["message"])
    assert body.get("metadata") is None or isinstance(body["metadata"], dict)


@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_any_bytes_are_a_json_object_or_a_bad_json(raw: Any) -> None:
    try:
        assert isinstance(json_object(raw), dict)
    except BadJson as refused:
        assert refused.message


def _channel(kind: type) -> Any:
    """A Twilio channel whose parts are never reached by ``read`` (it only parses the form)."""
    def unused(*_: Any) -> Any:
        raise AssertionError("read() must not touch the channel's stores")

    parts = TwilioParts(auth_token="t" * 32, public_url="http://127.0.0.1", resolver=unused, queue=unused,  # type: ignore[arg-type]
                        addresses=unused, reply=unused, audit=unused,
                        now=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc), reported=unused, staff=unused,
                        stopped=unused)
    return kind(parts)


SMS, WHATSAPP = _channel(TwilioSmsInput), _channel(TwilioWhatsAppInput)
#: Twilio's form fields, with values that are sometimes right and often not.
twilio_fields = st.dictionaries(
    st.sampled_from(["MessageSid", "SmsSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaContentType0",
                     "Latitude", "Longitude", "MessageStatus", "ErrorCode"]),
    st.one_of(st.text(max_size=40), st.sampled_from(["+15550100001", "whatsapp:+15550100001", "SM" + "a" * 32,
                                                     "3", "11", "-1", "", "x" * (MAX_BODY_CHARS + 1)])),
)


def _form(fields: Dict[str, str]) -> RequestParameters:
    return RequestParameters({name: [value] for name, value in fields.items()})


@given(twilio_fields, st.sampled_from([SMS, WHATSAPP]))
@example({"MessageSid": "SM1", "From": "+15550100001", "NumMedia": "ten"}, SMS)
@example({"MessageSid": "SM1", "From": "+15550100001", "Body": "a\x00b"}, SMS)
@example({"MessageSid": "SM1", "From": "whatsapp:+15550100001", "NumMedia": "99999999999999999999"}, WHATSAPP)
def test_a_twilio_message_webhook_is_read_or_refused_with_words(fields: Dict[str, str], channel: Any) -> None:
    try:
        message, address = channel.read(_form(fields))
    except BadWebhook as refused:
        assert str(refused)
        return
    assert isinstance(message, InboundMessage) and message.provider_id and address.startswith("+")
    assert len(message.text) <= MAX_BODY_CHARS and len(message.media) <= 11


voice_form = st.dictionaries(
    st.sampled_from(["CallSid", "Digits", "SpeechResult", "Confidence", "From", "CallStatus"]),
    st.one_of(st.text(max_size=40), st.sampled_from(["CA" + "0" * 32, "1", "2", "0", "123456#", "nan", "-3", ""])),
)


@given(voice_form, st.sampled_from([None, YES_NO, CODE, OFFER]))
def test_what_a_caller_said_is_words_or_nothing(form: Dict[str, str], expecting: Optional[str]) -> None:
    words = voice_requests.heard(form, expecting)
    assert words is None or (isinstance(words, str) and words)


@given(voice_form, st.dictionaries(st.sampled_from(["turn", "transfer", "leg", "call", "wait"]), st.text(max_size=12)))
@example({"CallSid": "CA" + "0" * 32}, {"turn": "²"})  # a digit to str.isdigit, not to int()
@example({"CallSid": "CA" + "0" * 32}, {"leg": "١"})
def test_a_voice_webhook_names_its_call_turn_and_leg_or_is_a_bad_call(form: Dict[str, str],
                                                                      query: Dict[str, str]) -> None:
    for read in (lambda: voice_requests.call_sid_of(form), lambda: voice_requests.turn_number(query.get("turn")),
                 lambda: voice_requests.leg_of(query), lambda: voice_requests.transfer_of(query)):
        try:
            read()
        except voice_requests.BadCall as refused:
            assert str(refused)
    assert 0.0 <= voice_requests.confidence(form.get("Confidence")) or form.get("Confidence")


@given(st.one_of(json_values, st.text()))
@example("/affirm")
@example("\ud800")
def test_a_web_chat_message_is_taken_or_refused_politely(sent: Any) -> None:
    problem = _problem_with(sent)
    if problem is None:
        assert isinstance(sent, str) and sent.strip() and len(sent) <= MAX_MESSAGE_CHARS
        assert not storable_text_problem(sent)
    else:
        assert problem.endswith((".", "parts."))


@given(st.text(max_size=200))
@example(f"{BROWSER_COOKIE}=; other=1")
@example(f"{BROWSER_COOKIE}={'a' * 5000}")
def test_a_browser_cookie_header_gives_a_well_formed_secret_or_none(header: str) -> None:
    secret = browser_secret_in(header)
    assert secret == "" or f"{BROWSER_COOKIE}={secret}" in header
