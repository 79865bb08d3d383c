"""The fake Twilio behaves like Twilio for the calls our adapters make, and signs like Twilio.

Every test drives it with the real twilio ``Client`` (redirected by ``RedirectingHttpClient``),
so a passing test means the official library accepts the fake's answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from multidict import MultiDict
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from actions.sms.twilio_http import build_twilio_client
from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.receiver import WebhookReceiver
from devtools.fake_twilio.spec import OPERATIONS, Operation, Param

SHOP = "+15005550006"
CUSTOMER = "+15551234567"
SPEC_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "twilio-oai" / "twilio_api_v2010.json"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    return fake.client()


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def raw_post(client: Client, resource: str, data: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST through the twilio client's own request path, bypassing its typed arguments."""
    url = f"https://api.twilio.com/2010-04-01/Accounts/{client.account_sid}/{resource}"
    response = client.request("POST", url, data=data)
    return response.status_code, json.loads(response.text)


# -- the REST API ---------------------------------------------------------------------------


def test_a_created_message_is_recorded_with_its_parameters(fake: FakeTwilio, client: Client) -> None:
    message = client.messages.create(to=CUSTOMER, from_=SHOP, body="Your code is 123456")

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.account_sid == fake.account_sid
    assert message.date_created is not None  # the client parsed our RFC 2822 date
    assert message.price is None and message.error_code is None
    [request] = fake.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert request.form == MultiDict({"To": CUSTOMER, "From": SHOP, "Body": "Your code is 123456"})
    assert request.auth_user == fake.account_sid
    assert fake.message(message.sid)["body"] == "Your code is 123456"


def test_an_observer_sees_each_message_the_moment_it_is_created(fake: FakeTwilio, client: Client) -> None:
    seen = []
    fake.on_message(lambda resource: seen.append((resource["sid"], resource["to"], resource["body"])))

    message = client.messages.create(to=CUSTOMER, from_=SHOP, body="Your refund is on its way")

    assert seen == [(message.sid, CUSTOMER, "Your refund is on its way")]


def test_a_message_can_be_fetched_and_listed_page_by_page(fake: FakeTwilio, client: Client) -> None:
    sids = [client.messages.create(to=CUSTOMER, from_=SHOP, body=f"n{i}").sid for i in range(3)]
    client.messages.create(to="+15557654321", from_=SHOP, body="someone else")

    assert client.messages(sids[0]).fetch().body == "n0"
    listed = client.messages.list(to=CUSTOMER, page_size=2)
    assert [m.sid for m in listed] == list(reversed(sids))  # newest first, across two pages
    pages = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/Messages.json")]
    assert [r.query.get("Page") for r in pages] == [None, "1"]


def test_fetching_an_unknown_message_is_a_404_with_twilio_error_20404(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_a_call_is_created_with_twiml(fake: FakeTwilio, client: Client) -> None:
    call = client.calls.create(to=CUSTOMER, from_=SHOP, twiml="<Response><Say>Hi</Say></Response>")

    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert call.status == "queued"
    assert fake.calls[0]["to"] == CUSTOMER
    assert fake.params_of(call.sid)["Twiml"] == ["<Response><Say>Hi</Say></Response>"]


def test_a_call_without_url_twiml_or_application_is_refused(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=CUSTOMER, from_=SHOP)
    assert (raised.value.status, raised.value.code) == (400, 21205)


def test_wrong_credentials_are_refused_like_twilio(fake: FakeTwilio) -> None:
    intruder = build_twilio_client(fake.account_sid, "not-the-token", base_url=fake.base_url)

    with pytest.raises(TwilioRestException) as raised:
        intruder.messages.create(to=CUSTOMER, from_=SHOP, body="hi")

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert "Authenticate" in raised.value.msg
    assert fake.messages == []


def test_another_accounts_path_is_not_found(fake: FakeTwilio) -> None:
    other = build_twilio_client(fake.account_sid, fake.auth_token, base_url=fake.base_url)
    other.account_sid = "AC" + "1" * 32

    with pytest.raises(TwilioRestException) as raised:
        other.messages.create(to=CUSTOMER, from_=SHOP, body="hi")
    assert raised.value.status == 404


@pytest.mark.parametrize(
    "arguments, code",
    [
        ({"to": "", "from_": SHOP, "body": "hi"}, 21604),
        ({"to": CUSTOMER, "body": "hi"}, 21603),
        ({"to": CUSTOMER, "from_": SHOP}, 21602),
        ({"to": "12345", "from_": SHOP, "body": "hi"}, 21211),
        ({"to": "whatsapp:12345", "from_": SHOP, "body": "hi"}, 21211),
    ],
    ids=["missing To", "missing From", "missing Body", "invalid To", "invalid WhatsApp To"],
)
def test_bad_message_input_gets_twilios_error_code(client: Client, arguments: dict[str, str], code: int) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**arguments)
    assert (raised.value.status, raised.value.code) == (400, code)


def test_a_messaging_service_or_media_satisfies_the_one_of_rules(client: Client) -> None:
    message = client.messages.create(
        to=f"whatsapp:{CUSTOMER}",
        messaging_service_sid="MG" + "a" * 32,
        media_url=["https://example.com/a.png", "https://example.com/b.png"],
    )
    assert message.sid.startswith("MM")
    assert message.num_media == "2"


def test_unknown_parameters_are_rejected(fake: FakeTwilio, client: Client) -> None:
    status, body = raw_post(client, "Messages.json", {"To": CUSTOMER, "From": SHOP, "Body": "hi", "Colour": "blue"})

    assert status == 400
    assert body["code"] == 20001 and "Colour" in body["message"]
    assert set(body) == {"code", "message", "more_info", "status"}
    assert fake.messages == []


@pytest.mark.parametrize(
    "extra",
    [{"ContentRetention": "forever"}, {"ValidityPeriod": "soon"}, {"ProvideFeedback": "maybe"},
     {"MessagingServiceSid": "MG123"}, {"StatusCallback": "not a url"}],
)
def test_values_of_the_wrong_type_enum_or_pattern_are_rejected(client: Client, extra: dict[str, str]) -> None:
    status, body = raw_post(client, "Messages.json", {"To": CUSTOMER, "From": SHOP, "Body": "hi", **extra})
    assert (status, body["status"]) == (400, 400)


def test_the_accounts_own_number_is_listed_by_phone_number_and_its_webhook_updated(
    fake: FakeTwilio, client: Client
) -> None:
    [number] = client.incoming_phone_numbers.list(phone_number=SHOP)
    assert number.sid.startswith("PN") and number.account_sid == fake.account_sid
    assert number.sms_url == "" and number.capabilities["sms"] is True

    updated = client.incoming_phone_numbers(number.sid).update(
        sms_url="https://bot.example.com/webhooks/sms/webhook", sms_method="POST", voice_caller_id_lookup=True
    )

    assert updated.sms_url == "https://bot.example.com/webhooks/sms/webhook" and updated.sms_method == "POST"
    assert updated.voice_caller_id_lookup is True
    assert fake.incoming_phone_numbers[0]["sms_url"] == updated.sms_url
    assert client.incoming_phone_numbers.list(phone_number=CUSTOMER) == []


def test_a_fake_without_a_number_or_with_another_lists_just_that() -> None:
    with FakeTwilio(sms_number=None) as bare, FakeTwilio(sms_number=CUSTOMER) as other:
        assert bare.client().incoming_phone_numbers.list() == []
        assert [n.phone_number for n in other.client().incoming_phone_numbers.list()] == [CUSTOMER]


def test_updating_a_number_checks_its_sid_and_parameters(client: Client) -> None:
    [number] = client.incoming_phone_numbers.list(phone_number=SHOP)
    with pytest.raises(TwilioRestException) as unknown:
        client.incoming_phone_numbers("PN" + "0" * 32).update(sms_url="https://bot.example.com/sms")
    assert (unknown.value.status, unknown.value.code) == (404, 20404)
    for bad in ({"SmsUrl": "not a url"}, {"SmsMethod": "PUT"}, {"Colour": "blue"}):
        status, body = raw_post(client, f"IncomingPhoneNumbers/{number.sid}.json", bad)
        assert (status, body["code"]) == (400, 20001)


# -- failure injection ----------------------------------------------------------------------


def test_an_injected_outage_fails_once_then_recovers(fake: FakeTwilio, client: Client) -> None:
    fake.fail_next(status=503, code=20503, message="Service Unavailable")

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=SHOP, body="hi")
    assert (raised.value.status, raised.value.code) == (503, 20503)
    assert client.messages.create(to=CUSTOMER, from_=SHOP, body="hi").status == "queued"


def test_a_refused_number_gets_the_chosen_code(fake: FakeTwilio, client: Client) -> None:
    fake.refuse(CUSTOMER, code=21610)

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=SHOP, body="hi")
    assert raised.value.code == 21610 and "unsubscribed" in raised.value.msg


# -- webhooks -------------------------------------------------------------------------------


def test_twilios_published_signature_vector_is_reproduced() -> None:
    """From twilio-python's own test suite (tests/unit/test_request_validator.py)."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    validator = RequestValidator("12345")
    assert validator.compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert FakeTwilio(auth_token="12345").sign(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]}
    assert FakeTwilio(auth_token="12345").sign(url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_an_inbound_sms_arrives_signed_and_a_tampered_one_does_not_verify(
    fake: FakeTwilio, hooks: WebhookReceiver
) -> None:
    status, body = fake.send_inbound_sms(hooks.url("/sms?channel=sms"), from_=CUSTOMER, to=SHOP, body="refund please")

    assert status == 200 and "<Response>" in body
    [hook] = hooks.received
    assert hook.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert hook.params["Body"] == "refund please" and hook.params["AccountSid"] == fake.account_sid
    assert hook.params["MessageSid"].startswith("SM") and hook.params["NumMedia"] == "0"
    assert hook.is_signed_by(fake.auth_token)
    assert not hook.is_signed_by("some-other-token")
    tampered = MultiDict(hook.params)
    tampered["Body"] = "refund $5000 please"
    assert not RequestValidator(fake.auth_token).validate(hook.url, tampered, hook.signature)


def test_a_webhook_with_a_forged_signature_carries_it_unchanged(fake: FakeTwilio, hooks: WebhookReceiver) -> None:
    fake.send_webhook(hooks.url("/sms"), {"Body": "hi"}, signature="forged=")
    [hook] = hooks.received
    assert hook.signature == "forged=" and not hook.is_signed_by(fake.auth_token)


def test_a_get_webhook_is_signed_over_the_full_url(fake: FakeTwilio, hooks: WebhookReceiver) -> None:
    fake.send_webhook(hooks.url("/voice"), {"CallSid": "CA" + "1" * 32, "Digits": "12"}, method="GET")
    [hook] = hooks.received
    assert hook.method == "GET" and "Digits=12" in hook.url
    assert RequestValidator(fake.auth_token).validate(hook.url, {}, hook.signature)


def test_an_inbound_whatsapp_message_uses_channel_addresses(fake: FakeTwilio, hooks: WebhookReceiver) -> None:
    fake.send_inbound_whatsapp(hooks.url("/whatsapp"), from_=CUSTOMER, to=SHOP, body="hola", profile_name="Ana")
    [hook] = hooks.received
    assert hook.params["From"] == f"whatsapp:{CUSTOMER}" and hook.params["To"] == f"whatsapp:{SHOP}"
    assert hook.params["WaId"] == CUSTOMER.lstrip("+") and hook.params["ProfileName"] == "Ana"
    assert hook.is_signed_by(fake.auth_token)


def test_status_callbacks_follow_a_message_to_delivered_once(
    fake: FakeTwilio, client: Client, hooks: WebhookReceiver
) -> None:
    tracked = client.messages.create(to=CUSTOMER, from_=SHOP, body="hi", status_callback=hooks.url("/status"))
    client.messages.create(to=CUSTOMER, from_=SHOP, body="untracked")

    deliveries = fake.deliver_status_callbacks()

    assert [(d.message_sid, d.status) for d in deliveries] == [
        (tracked.sid, "queued"), (tracked.sid, "sent"), (tracked.sid, "delivered")
    ]
    assert [h.params["MessageStatus"] for h in hooks.received] == ["queued", "sent", "delivered"]
    assert all(h.is_signed_by(fake.auth_token) for h in hooks.received)
    assert client.messages(tracked.sid).fetch().status == "delivered"
    assert fake.deliver_status_callbacks() == []


def test_an_undelivered_status_callback_carries_the_error_code(
    fake: FakeTwilio, client: Client, hooks: WebhookReceiver
) -> None:
    client.messages.create(to=CUSTOMER, from_=SHOP, body="hi", status_callback=hooks.url("/status"))
    fake.deliver_status_callbacks(final_status="undelivered", error_code=30005)
    assert hooks.received[-1].params["ErrorCode"] == "30005"


# -- the hand-written parameter tables agree with Twilio's OpenAPI description ----------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return spec["components"]["schemas"][name]
    return schema


def _spec_params(spec: dict[str, Any], op: Operation) -> tuple[dict[str, dict[str, Any]], set[str], dict[str, Any]]:
    operation = spec["paths"][op.path][op.method.lower()]
    assert operation["operationId"] == op.operation_id
    path_params = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "path"}
    if op.location == "form":
        schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        props = {name: _resolve(spec, s) for name, s in schema["properties"].items()}
        return props, set(schema.get("required", [])), path_params
    query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    props = {p["name"]: _resolve(spec, p["schema"]) for p in query}
    return props, {p["name"] for p in query if p.get("required")}, path_params


def _assert_same(mine: Param, theirs: dict[str, Any], where: str) -> None:
    assert mine.type == theirs.get("type", "string"), f"{where}: type"
    assert mine.enum == (tuple(theirs["enum"]) if "enum" in theirs else None), f"{where}: enum"
    assert mine.pattern == theirs.get("pattern"), f"{where}: pattern"
    if mine.format is not None:
        assert mine.format == theirs.get("format"), f"{where}: format"


@pytest.mark.skipif(not SPEC_FILE.exists(), reason=f"Twilio's OpenAPI file is not checked out at {SPEC_FILE}")
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
def test_parameter_tables_match_twilios_openapi_description(op: Operation) -> None:
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    props, required, path_params = _spec_params(spec, op)

    assert op.names == set(props), "parameter names differ from Twilio's"
    assert op.required == required, "required parameters differ from Twilio's"
    for param in op.params:
        _assert_same(param, props[param.name], f"{op.operation_id}.{param.name}")
    assert {p.name for p in op.path_params} == set(path_params)
    for param in op.path_params:
        _assert_same(param, path_params[param.name], f"{op.operation_id} path {param.name}")
