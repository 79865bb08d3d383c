"""One-time codes leave as SMS: through Twilio when configured, else into a dev outbox file.

Scenarios: a customer receives their code; Twilio is down, the number unsubscribed or the
network silent, and the caller is told (``DeliveryFailed``) instead of the failure vanishing.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest

from actions.domain.messaging import DeliveryFailed, SmsSender
from actions.sms import (
    DEV_OUTBOX_WARNING,
    DevOutboxSender,
    TwilioSmsSender,
    read_outbox,
)
from actions.sms.twilio_http import redirect_twilio_url
from devtools.fake_twilio import FakeTwilio

SHOP = "+15005550006"
CUSTOMER = "+15551234567"
CODE_MESSAGE = "Your verification code is 481516"


@pytest.fixture
def fake(fake_twilio: FakeTwilio) -> FakeTwilio:
    return fake_twilio


def sender_for(fake: FakeTwilio, **overrides: object) -> TwilioSmsSender:
    arguments: dict[str, object] = {
        "account_sid": fake.account_sid,
        "auth_token": fake.auth_token,
        "from_number": SHOP,
        "base_url": fake.base_url,
        **overrides,
    }
    return TwilioSmsSender(**arguments)  # type: ignore[arg-type]


# -- Twilio -----------------------------------------------------------------------------------


def test_a_customer_is_sent_their_code_and_the_twilio_sid_comes_back(fake: FakeTwilio) -> None:
    sender: SmsSender = sender_for(fake)

    sid = asyncio.run(sender.send_sms(CUSTOMER, CODE_MESSAGE))

    assert sid.startswith("SM") and len(sid) == 34
    message = fake.message(sid)
    assert (message["to"], message["from"], message["body"]) == (CUSTOMER, SHOP, CODE_MESSAGE)


def test_the_code_never_reaches_the_logs(fake: FakeTwilio, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sender = sender_for(fake)
    asyncio.run(sender.send_sms(CUSTOMER, CODE_MESSAGE))
    fake.fail_next(status=500)
    with pytest.raises(DeliveryFailed):
        asyncio.run(sender.send_sms(CUSTOMER, CODE_MESSAGE))

    assert "481516" not in caplog.text
    assert CUSTOMER not in caplog.text  # numbers are masked to their last four digits


def test_a_twilio_outage_is_reported_with_status_and_code(fake: FakeTwilio) -> None:
    fake.fail_next(status=500, code=20500, message="Internal Server Error")

    with pytest.raises(DeliveryFailed) as raised:
        asyncio.run(sender_for(fake).send_sms(CUSTOMER, CODE_MESSAGE))

    assert "HTTP 500" in str(raised.value) and "20500" in str(raised.value)
    assert CODE_MESSAGE not in str(raised.value)


@pytest.mark.parametrize("code", [21610, 21211])
def test_a_refused_number_surfaces_twilios_error_code(fake: FakeTwilio, code: int) -> None:
    fake.refuse(CUSTOMER, code=code)

    with pytest.raises(DeliveryFailed) as raised:
        asyncio.run(sender_for(fake).send_sms(CUSTOMER, CODE_MESSAGE))

    assert f"Twilio error {code}" in str(raised.value)
    assert getattr(raised.value, "code") == code and getattr(raised.value, "status") == 400


def test_an_invalid_customer_number_is_a_delivery_failure(fake: FakeTwilio) -> None:
    with pytest.raises(DeliveryFailed, match="21211"):
        asyncio.run(sender_for(fake).send_sms("555-CALL-NOW", CODE_MESSAGE))


def test_a_revoked_token_is_a_delivery_failure(fake: FakeTwilio) -> None:
    with pytest.raises(DeliveryFailed, match="HTTP 401, Twilio error 20003"):
        asyncio.run(sender_for(fake, auth_token="revoked").send_sms(CUSTOMER, CODE_MESSAGE))


def test_a_silent_twilio_times_out_into_a_delivery_failure(fake: FakeTwilio) -> None:
    fake.stall_next(seconds=2)

    with pytest.raises(DeliveryFailed, match="did not answer within 0.3s"):
        asyncio.run(sender_for(fake, timeout=0.3).send_sms(CUSTOMER, CODE_MESSAGE))


def test_an_unreachable_twilio_is_a_delivery_failure() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = TwilioSmsSender("AC" + "0" * 32, "token", SHOP, base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(DeliveryFailed, match="Could not reach Twilio"):
        asyncio.run(sender.send_sms(CUSTOMER, CODE_MESSAGE))


@pytest.mark.parametrize(
    "arguments, names",
    [
        (("", "token", SHOP), "TWILIO_ACCOUNT_SID"),
        (("SK" + "0" * 32, "token", SHOP), "TWILIO_ACCOUNT_SID"),
        (("AC" + "0" * 32, "", SHOP), "TWILIO_AUTH_TOKEN"),
        (("AC" + "0" * 32, "token", "5005550006"), "TWILIO_FROM_NUMBER"),
        (("AC" + "0" * 32, "token", "ACME"), "TWILIO_FROM_NUMBER"),
    ],
    ids=["empty sid", "api key sid", "empty token", "no plus", "alphanumeric"],
)
def test_bad_configuration_names_the_setting_to_fix(arguments: tuple[str, str, str], names: str) -> None:
    with pytest.raises(ValueError, match=names):
        TwilioSmsSender(*arguments)


def test_a_base_url_that_is_not_a_url_names_the_setting_to_fix() -> None:
    with pytest.raises(ValueError, match="TWILIO_BASE_URL"):
        TwilioSmsSender("AC" + "0" * 32, "token", SHOP, base_url="127.0.0.1:8123")


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?Page=1&PageSize=2",
            "http://127.0.0.1:8123/2010-04-01/Accounts/AC1/Messages.json?Page=1&PageSize=2",
        ),
        ("https://api.dublin.ie1.twilio.com/v1/x", "http://127.0.0.1:8123/v1/x"),
        ("https://example.com/2010-04-01/x", "https://example.com/2010-04-01/x"),
        ("https://twilio.com.evil.example/x", "https://twilio.com.evil.example/x"),
    ],
)
def test_only_twilio_urls_are_redirected(url: str, expected: str) -> None:
    assert redirect_twilio_url(url, "http://127.0.0.1:8123") == expected


def test_a_base_url_path_prefix_is_kept() -> None:
    redirected = redirect_twilio_url("https://api.twilio.com/2010-04-01/a.json", "http://fake:9/twilio")
    assert redirected == "http://fake:9/twilio/2010-04-01/a.json"


# -- the development outbox ---------------------------------------------------------------------


class FrozenClock:
    def now(self) -> datetime:
        return datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)


def test_without_twilio_codes_land_in_the_dev_outbox(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "sms" / "outbox.jsonl"
    ids = iter(["dev-1", "dev-2"])
    sender: SmsSender = DevOutboxSender(outbox, clock=FrozenClock(), new_id=lambda: next(ids))

    first = asyncio.run(sender.send_sms(CUSTOMER, CODE_MESSAGE))
    second = asyncio.run(sender.send_sms("+15557654321", "Your verification code is 000111"))

    assert (first, second) == ("dev-1", "dev-2")
    assert read_outbox(outbox) == [
        {"at": "2024-05-01T09:30:00+00:00", "to": CUSTOMER, "body": CODE_MESSAGE, "id": "dev-1",
         "warning": DEV_OUTBOX_WARNING},
        {"at": "2024-05-01T09:30:00+00:00", "to": "+15557654321", "body": "Your verification code is 000111",
         "id": "dev-2", "warning": DEV_OUTBOX_WARNING},
    ]


def test_dev_outbox_ids_are_unique_and_marked_as_development(tmp_path: Path) -> None:
    sender = DevOutboxSender(tmp_path / "outbox.jsonl")
    ids = {asyncio.run(sender.send_sms(CUSTOMER, "x")) for _ in range(3)}
    assert len(ids) == 3 and all(i.startswith("dev-") and len(i) == 36 for i in ids)
    assert all(line["warning"] == "DEVELOPMENT ONLY: not delivered to any phone" for line in read_outbox(sender.path))


def test_the_dev_outbox_does_not_log_the_code(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    asyncio.run(DevOutboxSender(tmp_path / "outbox.jsonl").send_sms(CUSTOMER, CODE_MESSAGE))
    assert "DEVELOPMENT ONLY" in caplog.text and "481516" not in caplog.text


def test_an_outbox_never_written_is_empty(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "missing.jsonl") == []
