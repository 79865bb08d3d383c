"""Phone numbers are read in one place: every form a channel or a person writes, one E.164 number out.

One number is one customer however it arrives (Twilio's SMS ``From``, its WhatsApp twin, a
number typed in the chat), and text that is no number is refused saying why, never guessed at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.domain.phones import NotAPhoneNumber, check_region, e164, whatsapp_address
from actions.settings import Settings, SettingsError

JANE = "+15550100001"


@pytest.mark.parametrize("written", [
    "+15550100001",                # Twilio's SMS From
    "whatsapp:+15550100001",       # Twilio's WhatsApp From
    "WhatsApp:+1 555 010 0001",
    "15550100001",                 # the country code without its +
    "(555) 010-0001",              # a US number as Americans write it
    "555.010.0001",
    "1-555-010-0001",
    "tel:+1-555-010-0001",
    "001 (555) 010.0001",          # 00, the international prefix of most of the world
    "  +1 555 010 0001  ",
])
def test_every_usual_form_of_janes_number_is_one_number(written: str) -> None:
    assert e164(written) == JANE


def test_a_number_and_its_whatsapp_twin_are_one_number_and_the_twin_is_written_as_twilio_writes_it() -> None:
    assert e164("whatsapp:+15550100001") == e164("+15550100001")
    assert whatsapp_address("(555) 010-0001") == "whatsapp:+15550100001"
    assert whatsapp_address("whatsapp:+15550100001") == "whatsapp:+15550100001"


@pytest.mark.parametrize(("written", "region", "number"), [
    ("020 7946 0018", "GB", "+442079460018"),        # a London number, written the British way
    ("00 44 20 7946 0018", "GB", "+442079460018"),
    ("+44 20-7946-0018", "US", "+442079460018"),     # with its country code, the region doesn't matter
    ("030 1234567", "DE", "+49301234567"),
    ("(555) 010-0001", "GB", "+445550100001"),       # the same digits are someone else in Britain
    ("+1 555 010 0001", "DE", JANE),
])
def test_a_number_without_its_country_code_is_read_in_the_default_region(written: str, region: str,
                                                                          number: str) -> None:
    assert e164(written, region) == number


@pytest.mark.parametrize(("written", "why"), [
    ("", "it is empty"),
    ("whatsapp:", "it is empty"),
    ("jane", "it has letters in it"),
    ("1-800-FLOWERS", "it has letters in it"),        # a vanity number is not a sender
    ("+1555010000I", "it has letters in it"),
    ("+1 555 010 0001 ext. 5", "it has letters in it"),
    ("+1555", "it has too few digits"),
    ("12", "it has too few digits"),
    ("+1555010000123456", "it has too many digits"),
    ("+999 555 0100", "its country code is not one in use"),
    ("555 0100", "it lacks its area code"),
    ("+", "it has no digits a number could be read from"),
    ("+" + "1" * 100, "it is longer than 64 characters"),
])
def test_text_that_is_no_phone_number_is_refused_saying_why_and_what_to_send(written: str, why: str) -> None:
    with pytest.raises(NotAPhoneNumber) as refused:
        e164(written)

    assert refused.value.why == why
    assert str(refused.value).endswith("Write it in international form with its country code, e.g. +15550100001")
    assert isinstance(refused.value, ValueError)  # callers that look numbers up treat it as "nobody"


def test_a_refusal_quotes_only_the_start_of_a_long_text() -> None:
    with pytest.raises(NotAPhoneNumber) as refused:
        e164("x" * 5000)
    assert len(str(refused.value)) < 200


@pytest.mark.parametrize(("region", "code"), [("US", "US"), ("gb", "GB"), (" de ", "DE")])
def test_a_region_is_a_code_libphonenumber_knows(region: str, code: str) -> None:
    assert check_region(region) == code


@pytest.mark.parametrize("region", ["XX", "USA", "", "United Kingdom"])
def test_an_unknown_region_is_refused(region: str) -> None:
    with pytest.raises(ValueError, match="not a region code libphonenumber knows"):
        check_region(region)


def test_the_default_region_is_a_setting_checked_at_start_up(tmp_path: Path) -> None:
    assert Settings.from_env({"HITL_DATA_DIR": str(tmp_path)}).phone_region == "US"
    assert Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "HITL_PHONE_REGION": "gb"}).phone_region == "GB"
    with pytest.raises(SettingsError, match="HITL_PHONE_REGION: 'UK' is not a region code .* such as US, GB"):
        Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "HITL_PHONE_REGION": "UK"})
