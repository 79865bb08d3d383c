"""Going live: ``python -m bot.twilio_setup`` points the shop's Twilio number at this server.

Every scenario runs the command against the fake Twilio over HTTP, with the real twilio client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from bot.twilio_setup import EXIT_SETTINGS, EXIT_TWILIO, main
from devtools.fake_twilio import FakeTwilio

SHOP = "+15005550006"
PUBLIC = "https://bot.example.com"


def live_env(fake: FakeTwilio, tmp_path: Path, **overrides: str) -> Dict[str, str]:
    env = {
        "HITL_DATA_DIR": str(tmp_path),
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM_NUMBER": SHOP,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+15017122661",
        "TWILIO_BASE_URL": fake.base_url,
        "HITL_PUBLIC_URL": PUBLIC,
        **overrides,
    }
    return {name: value for name, value in env.items() if value}


def updates(fake: FakeTwilio) -> list:
    return [r for r in fake.requests if r.method == "POST" and "/IncomingPhoneNumbers/" in r.path]


def test_the_shops_number_is_pointed_at_the_public_sms_and_voice_webhooks_and_the_change_is_shown(
    fake_twilio: FakeTwilio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([], live_env(fake_twilio, tmp_path))

    out = capsys.readouterr().out
    assert code == 0
    [number] = fake_twilio.incoming_phone_numbers
    assert number["sms_url"] == f"{PUBLIC}/webhooks/sms/webhook" and number["sms_method"] == "POST"
    assert f"(empty) -> {PUBLIC}/webhooks/sms/webhook" in out
    assert f"number {SHOP} ({number['sid']})" in out
    [update] = updates(fake_twilio)
    assert dict(update.form) == {"SmsUrl": f"{PUBLIC}/webhooks/sms/webhook",  # POST was already the method
                                 "VoiceUrl": f"{PUBLIC}/webhooks/voice/webhook",
                                 "StatusCallback": f"{PUBLIC}/webhooks/voice/status"}
    assert number["voice_url"] == f"{PUBLIC}/webhooks/voice/webhook"
    assert number["status_callback"] == f"{PUBLIC}/webhooks/voice/status"  # calls' status: the voice channel's
    assert f"(empty) -> {PUBLIC}/webhooks/voice/webhook" in out
    assert "Still to do by hand" in out and f"{PUBLIC}/webhooks/whatsapp/webhook" in out  # the WhatsApp sender


def test_running_it_again_changes_nothing(fake_twilio: FakeTwilio, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], live_env(fake_twilio, tmp_path)) == 0
    capsys.readouterr()

    assert main([], live_env(fake_twilio, tmp_path)) == 0

    assert "(unchanged)" in capsys.readouterr().out
    assert len(updates(fake_twilio)) == 1


def test_a_number_pointed_elsewhere_shows_its_old_url_and_method(fake_twilio: FakeTwilio, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    client = fake_twilio.client()
    [number] = client.incoming_phone_numbers.list(phone_number=SHOP)
    client.incoming_phone_numbers(number.sid).update(sms_url="https://old.example.com/sms", sms_method="GET")

    assert main([], live_env(fake_twilio, tmp_path)) == 0

    out = capsys.readouterr().out
    assert f"https://old.example.com/sms -> {PUBLIC}/webhooks/sms/webhook" in out
    assert "GET -> POST" in out
    assert fake_twilio.incoming_phone_numbers[0]["sms_method"] == "POST"


def test_a_dry_run_shows_the_change_and_changes_nothing(fake_twilio: FakeTwilio, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--dry-run"], live_env(fake_twilio, tmp_path))

    out = capsys.readouterr().out
    assert code == 0
    assert f"-> {PUBLIC}/webhooks/sms/webhook" in out and "Dry run: nothing was changed." in out
    assert updates(fake_twilio) == []
    assert fake_twilio.incoming_phone_numbers[0]["sms_url"] == ""


def test_a_number_the_account_does_not_have_is_named_with_the_numbers_it_has(
    fake_twilio: FakeTwilio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([], live_env(fake_twilio, tmp_path, TWILIO_FROM_NUMBER="+15550009999"))

    captured = capsys.readouterr()
    assert code == EXIT_TWILIO
    assert "+15550009999 is not a number of Twilio account" in captured.err
    assert f"its numbers: {SHOP}" in captured.err and "Traceback" not in captured.err
    assert updates(fake_twilio) == []


def test_wrong_credentials_say_which_settings_to_check(fake_twilio: FakeTwilio, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main([], live_env(fake_twilio, tmp_path, TWILIO_AUTH_TOKEN="not-the-token"))

    err = capsys.readouterr().err
    assert code == EXIT_TWILIO
    assert "refused the credentials (error 20003)" in err and "TWILIO_AUTH_TOKEN" in err


@pytest.mark.parametrize(
    "public_url, says",
    [
        ("http://bot.example.com", "Twilio needs a public https URL"),
        ("https://127.0.0.1:5005", "can't be reached from Twilio"),
        ("https://localhost", "can't be reached from Twilio"),
        ("", "HITL_PUBLIC_URL is not set"),
    ],
    ids=["http", "loopback", "localhost", "unset"],
)
def test_a_public_url_twilio_cannot_call_is_refused_before_anything_changes(
    fake_twilio: FakeTwilio, tmp_path: Path, capsys: pytest.CaptureFixture[str], public_url: str, says: str
) -> None:
    code = main([], live_env(fake_twilio, tmp_path, HITL_PUBLIC_URL=public_url))

    err = capsys.readouterr().err
    assert code == EXIT_SETTINGS
    assert says in err and "tunnel" in err
    assert fake_twilio.requests == []


def test_missing_twilio_settings_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([], {"HITL_DATA_DIR": str(tmp_path), "HITL_PUBLIC_URL": PUBLIC})

    err = capsys.readouterr().err
    assert code == EXIT_SETTINGS
    assert "TWILIO_ACCOUNT_SID" in err and "TWILIO_FROM_NUMBER" in err


def test_partly_configured_twilio_names_what_is_missing(fake_twilio: FakeTwilio, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main([], live_env(fake_twilio, tmp_path, TWILIO_AUTH_TOKEN=""))

    assert code == EXIT_SETTINGS
    assert "set TWILIO_AUTH_TOKEN too" in capsys.readouterr().err


def test_twilio_out_of_reach_is_a_message_not_a_traceback(fake_twilio: FakeTwilio, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    env = live_env(fake_twilio, tmp_path)
    fake_twilio.stop()

    code = main([], env)

    err = capsys.readouterr().err
    assert code == EXIT_TWILIO
    assert "Twilio could not be reached" in err


def test_the_whatsapp_sandbox_gets_its_own_console_steps(fake_twilio: FakeTwilio, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    main(["--dry-run"], live_env(fake_twilio, tmp_path, TWILIO_WHATSAPP_FROM="whatsapp:+14155238886"))

    out = capsys.readouterr().out
    assert "Sandbox settings" in out and f"{PUBLIC}/webhooks/whatsapp/webhook" in out
