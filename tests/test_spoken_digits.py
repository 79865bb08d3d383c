"""A caller reads a code aloud or presses keys: what reaches the conversation is the digits, or nothing."""

from __future__ import annotations

import pytest

from actions.domain.spoken_digits import digits_from_speech, keypad_answer


@pytest.mark.parametrize("said, digits", [
    ("one two three four five six", "123456"),
    ("1 2 3 4 5 6", "123456"),
    ("1 2 3 4 5 6.", "123456"),  # recognition ends a sentence with a full stop
    ("123456", "123456"),
    ("123 456", "123456"),
    ("123-456", "123456"),
    ("4, 8, 1, 5, 1, 6", "481516"),
    ("four eight oh one five six", "480156"),
    ("zero zero seven one two three", "007123"),
    ("nought seven", "07"),
    ("double five one two three four", "551234"),
    ("triple 0 one two three", "000123"),
    ("nine double oh seven", "9007"),
    ("It's 4 8 1 5 1 6", "481516"),
    ("it's, um, four eight one... five one six", "481516"),
    ("The code is 4 8 1 5 1 6 please", "481516"),
    ("okay so my code is one two three four five six", "123456"),
    ("Yes, 4 8 1 5 1 6", "481516"),
    ("forty-eight fifteen sixteen", "481516"),
    ("forty eight fifteen", "4815"),
    ("twenty twenty", "2020"),
    ("four hundred and eighty one, five one six", "481516"),
    ("One Two Three", "123"),
    ("one two three four five six seven", "1234567"),  # the length is the conversation's to judge
    ("1 to 3", "123"),  # "two" written as "to" between digits
    ("4 for 4", "444"),
    ("won too three", "123"),  # "won" is always a digit; "too" only between digits
])
def test_a_code_read_aloud_in_any_of_the_usual_ways_becomes_its_digits(said: str, digits: str) -> None:
    assert digits_from_speech(said) == digits


@pytest.mark.parametrize("said", [
    "", "   ", "yes", "no", "um", "the code",
    "I don't have it", "send it again", "resend", "I didn't get a code", "can I talk to a person",
    "two hundred dollars", "one thousand", "1000 bucks",
    "double", "double trouble", "triple please",
    "my order is 1001 and it's late",
])
def test_anything_that_is_not_just_a_run_of_digits_is_not_a_code(said: str) -> None:
    assert digits_from_speech(said) is None


def test_a_caller_who_reads_the_code_in_two_halves_is_heard_as_one_code() -> None:
    assert digits_from_speech("four eight one") + digits_from_speech("five one six") == "481516"  # type: ignore[operator]
    assert digits_from_speech("four eight one, five one six") == "481516"


@pytest.mark.parametrize("pressed, meaning", [("1", "yes"), ("2", "no"), ("1#", "yes"), (" 2 ", "no"),
                                             ("3", None), ("0", None), ("12", None), ("", None), ("#", None),
                                             ("*", None)])
def test_keys_answering_yes_or_no_mean_1_for_yes_and_2_for_no(pressed: str, meaning: str) -> None:
    assert keypad_answer(pressed, "yes_no") == meaning


@pytest.mark.parametrize("pressed, code", [("481516", "481516"), ("481516#", "481516"), ("481516*", "481516"),
                                           ("007123#", "007123"), ("#", None), ("", None), ("12#3", None),
                                           ("1", "1")])
def test_keys_entering_a_code_are_its_digits_without_the_key_that_ends_it(pressed: str, code: str) -> None:
    assert keypad_answer(pressed, "code") == code


@pytest.mark.parametrize("expecting", [None, "", "something_else"])
def test_keys_mean_nothing_when_the_conversation_waits_for_neither(expecting) -> None:  # type: ignore[no-untyped-def]
    assert keypad_answer("1", expecting) is None
