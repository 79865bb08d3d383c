"""The assistant's replies as a caller hears them: taken from the functions that write them, so a
prompt reworded without its spoken form fails here instead of telling a caller to "reply YES"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from actions.acme.formatting import format_day
from actions.domain.account import day
from actions.domain.answers import FAQ, SMALL_TALK
from actions.domain.money import format_cents
from actions.domain.pending import PendingAction
from actions.domain.policy import describe_duration
from actions.domain.sessions import new_visitor_key
from actions.domain.signoff import SignOff, approval_prompt, confirm_prompt, otp_prompt
from actions.domain.spoken import KEYPAD_CODE, KEYPAD_YES_NO, for_the_ear
from tests.support.world import JANE, PRIYA, SAM, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def waiting(world: World, who: str) -> PendingAction:
    pending = world.services.pendings.awaiting_customer(who)
    assert pending is not None
    return pending


def no_keyboard_words(spoken: str) -> None:
    for written in ("Reply", "reply", "YES", " NO ", "RESEND", "$", "•", "4242", "1001"):
        assert written not in spoken, f"{written!r} read aloud in {spoken!r}"


# -- the prompts, from the functions that write them -------------------------------------------------

def test_janes_refund_confirmation_asks_her_to_say_yes_or_press_1(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    spoken = for_the_ear(confirm_prompt(waiting(world, JANE)), "yes_no")

    assert spoken == (
        "Refund 20 dollars to your Visa ending in 4 2 4 2 for order 1 0 0 1, Wireless headphones, delivered 8 days "
        "ago, within our 30-day returns window. You'll see it in 3 to 5 working days. "
        "Say yes or press 1 to confirm; say no or press 2 to cancel."
    )
    no_keyboard_words(spoken)


def test_a_refund_that_needs_approval_asks_to_send_it_with_a_yes_or_1(world: World) -> None:
    world.say(PRIYA, "refund order 1006", "request_refund")
    pending = waiting(world, PRIYA)

    spoken = for_the_ear(approval_prompt(pending, "2 refunds in the last 30 days", "a senior member of our team"))

    assert spoken.endswith(
        "This needs approval from a senior member of our team, 2 refunds in the last 30 days. "
        "Say yes or press 1 to send it for approval; say no or press 2 to cancel."
    )
    assert spoken.startswith("Refund 260 dollars to your Visa ending in 1 8 8 1 for order 1 0 0 6, TV stand,")


def test_a_code_prompt_asks_for_the_keypad_or_the_digits_spoken(world: World) -> None:
    world.say(SAM, "cancel my subscription", "cancel_subscription")
    pending = waiting(world, SAM)

    spoken = for_the_ear(otp_prompt(pending, "+15550100002", describe_duration(timedelta(minutes=5))), "code")

    assert spoken == (
        "Cancel your Snack Box weekly subscription, 12 dollars and 50 cents per period. It won't renew on "
        "Wednesday the 25th of November and you'll lose member pricing. This can't be undone here. To make sure "
        "it's you, I've sent a six-digit code to your phone ending in 0 0 0 2. Enter the code on your keypad or "
        "say it digit by digit to confirm, it's valid for 5 minutes, or say no to cancel."
    )


def test_reminders_while_waiting_say_how_to_answer_on_a_phone(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    world.say(SAM, "cancel my subscription", "cancel_subscription")
    sign_off = SignOff(world.services)

    assert for_the_ear(sign_off.reminder(waiting(world, JANE))).endswith(
        "Say yes or press 1 to confirm; say no or press 2 to cancel.")
    assert for_the_ear(sign_off.reminder(waiting(world, SAM))) == (
        "I'm still waiting for the code to confirm: Cancel your Snack Box weekly subscription, 12 dollars and "
        "50 cents per period. Enter the code on your keypad or say it digit by digit, or say no to cancel."
    )


def test_the_code_conversation_as_the_assistant_answers_it(world: World) -> None:
    world.say(SAM, "cancel my subscription", "cancel_subscription")

    unclear = for_the_ear(world.say(SAM, "hmm what", "nlu_fallback"), "code")
    assert unclear == ("Sorry, I didn't catch that. Enter the six-digit code we sent to your phone ending in "
                       "0 0 0 2 on your keypad or say it digit by digit, say resend for a new code, "
                       "or say no to cancel.")

    wrong = for_the_ear(world.say(SAM, "000000", "provide_otp"), "code")
    assert wrong.startswith("That code isn't right. You have ") and wrong.endswith(KEYPAD_CODE)


@pytest.mark.parametrize("written, spoken", [
    ("That code has expired. Reply RESEND for a new one, or NO to cancel.",
     "That code has expired. Say resend for a new one, or say no to cancel."),
    ("That code is no longer valid: a newer one was sent. Use the latest code, or reply RESEND.",
     "That code is no longer valid: a newer one was sent. Use the latest code, or say resend."),
    ("There's no code waiting for this request. Reply RESEND to get one, or NO to cancel.",
     "There's no code waiting for this request. Say resend to get one, or say no to cancel."),
    ("I've already sent the maximum number of codes for this sign-in. "
     + "Reply NO to cancel, or say 'agent' and a person will help you.",
     "I've already sent the maximum number of codes for this sign-in. "
     + "Say no to cancel, or say agent and a person will help you."),
])
def test_the_code_answers_written_in_signoff_and_identify(written: str, spoken: str) -> None:
    source = Path(__file__).parents[1] / "actions" / "domain"
    code = "".join((source / name).read_text(encoding="utf-8") for name in ("signoff.py", "identify.py"))
    for sentence in written.split(". "):
        assert sentence.rstrip(".") in code, f"the assistant no longer writes {sentence!r}: update its spoken form"
    assert for_the_ear(written) == spoken


def test_a_visitor_signing_in_by_phone_hears_how_to_give_the_code(world: World) -> None:
    visitor = new_visitor_key(lambda: "5f0c9a4e8d2b4c1e9a7f3b2d1c0e8f6a")
    spoken = for_the_ear(world.say(visitor, "my number is +1 555 010 0001", "inform"), "code")

    assert spoken == ("If that number is on an Acme account, I've texted it a six-digit code. Enter the code on "
                      "your keypad or say it digit by digit to continue, it's valid for 5 minutes, or say no to cancel.")


def test_an_approval_reference_is_read_character_by_character(world: World) -> None:
    world.say(PRIYA, "refund order 1006", "request_refund")

    spoken = for_the_ear(world.say(PRIYA, "yes", "affirm"))

    assert re.match(r"I've sent it to a senior member of our team for approval, reference (?:[A-Z0-9] ){5,}[A-Z0-9]\. "
                    r"Nothing has been refunded", spoken), spoken


# -- answers -----------------------------------------------------------------------------------------

def test_order_status_reads_order_numbers_digit_by_digit_and_dates_as_said(world: World) -> None:
    spoken = for_the_ear(world.say(SAM, "where is my order", "ask_order_status"))

    assert spoken == ("Order 1 0 0 4, Running shoes, is being prepared and is due Thursday the 26th of November in "
                      "the afternoon slot. Order 1 0 0 5, Yoga mat, was delivered on Saturday the 14th of November.")


def test_a_list_of_orders_reads_every_number_digit_by_digit(world: World) -> None:
    spoken = for_the_ear(world.say(JANE, "change the address of order 1234", "change_address", order_id="1234"))

    assert "1234" not in spoken and "1 2 3 4" in spoken
    assert "1002" not in spoken and "1 0 0 2" in spoken
    assert for_the_ear("Which order is this about? Your orders: 1002 Smart speaker $129.00; "
                       "1001 Wireless headphones $42.50.") == (
        "Which order is this about? Your orders: 1 0 0 2 Smart speaker 129 dollars; "
        "1 0 0 1 Wireless headphones 42 dollars and 50 cents.")


def test_opening_hours_and_returns_read_as_said() -> None:
    assert for_the_ear(FAQ["ask_opening_hours"]).startswith(
        "I'm here around the clock. Our customer care team is available Monday to Friday 8 a.m. to 8 p.m. and "
        "Saturday 9 a.m. to 5 p.m.;")
    assert "3 to 5 working days" in for_the_ear(FAQ["ask_returns_policy"])
    assert for_the_ear(SMALL_TALK["goodbye"]) == SMALL_TALK["goodbye"]


# -- amounts, dates, times, numbers ------------------------------------------------------------------

@pytest.mark.parametrize("cents, spoken", [
    (125050, "1,250 dollars and 50 cents"), (70000, "700 dollars"), (100, "1 dollar"), (50, "50 cents"),
    (101, "1 dollar and 1 cent"), (0, "0 dollars"), (-500, "minus 5 dollars"), (1500000, "15,000 dollars"),
])
def test_amounts_as_format_cents_writes_them(cents: int, spoken: str) -> None:
    assert for_the_ear(f"That's {format_cents(cents)}.") == f"That's {spoken}."


@pytest.mark.parametrize("written, spoken", [
    ("€20", "20 euros"), ("£3.50", "3 pounds and 50 pence"), ("US$40", "40 dollars"), ("$5", "5 dollars"),
])
def test_other_currency_signs(written: str, spoken: str) -> None:
    assert for_the_ear(f"It costs {written}.") == f"It costs {spoken}."


@pytest.mark.parametrize("value, spoken", [
    (date(2026, 12, 3), "Thursday the 3rd of December"), (date(2026, 11, 1), "Sunday the 1st of November"),
    (date(2026, 11, 22), "Sunday the 22nd of November"), (date(2026, 11, 12), "Thursday the 12th of November"),
    (date(2026, 11, 11), "Wednesday the 11th of November"), (date(2026, 5, 13), "Wednesday the 13th of May"),
])
def test_dates_as_the_assistant_and_the_shop_write_them(value: date, spoken: str) -> None:
    assert for_the_ear(f"Due {day(value)}.") == f"Due {spoken}."
    assert for_the_ear(f"Due {format_day(value)}.") == f"Due {spoken}."
    assert for_the_ear(f"Due {value.isoformat()}.") == f"Due {spoken} {value.year}."


def test_times_and_ranges() -> None:
    assert for_the_ear("Open 09:00-18:00, lunch at 12:00, closes at 14:30 on Saturdays.") == \
        "Open 9 a.m. to 6 p.m., lunch at noon, closes at 2:30 p.m. on Saturdays."
    assert for_the_ear("Placed 2026-12-03T14:30:00+00:00.") == "Placed Thursday the 3rd of December 2026 at 2:30 p.m.."[:-1]
    assert for_the_ear("From 9:30am to 5pm.") == "From 9:30 a.m. to 5 p.m."


def test_card_endings_however_they_are_written() -> None:
    assert for_the_ear("Remove your Mastercard ending 5555?") == "Remove your Mastercard ending in 5 5 5 5?"
    assert for_the_ear("Paid with •••• 4242.") == "Paid with card ending in 4 2 4 2."
    assert for_the_ear("Paid with Visa **** 4242.") == "Paid with Visa ending in 4 2 4 2."
    assert for_the_ear("Your card ending in 0005 is now your default.") == \
        "Your card ending in 0 0 0 5 is now your default."


def test_codes_and_phone_numbers() -> None:
    assert for_the_ear("Your order A1001 has shipped.") == "Your order A 1 0 0 1 has shipped."
    assert for_the_ear("Call us on +15550100001.") == "Call us on plus 1, 5 5 5, 0 1 0, 0 0 0 1."
    assert for_the_ear("Call us on +1 (555) 010-0001.") == "Call us on plus 1, 5 5 5, 0 1 0, 0 0 0 1."
    assert for_the_ear("Call +442071838750.") == "Call plus 4 4 2, 0 7 1, 8 3 8, 7 5 0."
    assert for_the_ear("Your email is now jane.new@example.com.") == \
        "Your email is now jane dot new at example dot com."


# -- what a voice must not read ----------------------------------------------------------------------

def test_links_markdown_emoji_and_bullets_are_not_read() -> None:
    written = ("**Good news** 🎉 your refund is _on its way_.\n"
               "- Track it at https://acme.example/track?o=1001\n"
               "- See [our policy](https://acme.example/returns) • ••• `thanks`")
    spoken = for_the_ear(written)

    assert spoken == "Good news your refund is on its way. Track it at our website. See our policy, thanks."
    for unread in ("http", "*", "_", "🎉", "•", "`", "[", "#"):
        assert unread not in spoken


def test_what_the_conversation_waits_for_is_said_when_the_reply_does_not_say_it() -> None:
    assert for_the_ear("Shall I go ahead?", "yes_no") == f"Shall I go ahead? {KEYPAD_YES_NO}"
    assert for_the_ear("Which code did you get", "code") == f"Which code did you get. {KEYPAD_CODE}"
    assert for_the_ear("Reply YES to confirm or NO to cancel.", "yes_no") == \
        "Say yes or press 1 to confirm; say no or press 2 to cancel."
    assert for_the_ear("", None) == ""
