"""The one money parser: what customers type in the chat and staff type in the inbox.

An amount is read exactly as written or refused with a message that says what to write;
it is never rounded, guessed, or taken as "no amount" (which would mean the whole order).
"""

from __future__ import annotations

from typing import Optional

import pytest

from actions.domain.money import AmountError, find_amount, format_cents, parse_amount

TRY_AGAIN = "Write it like 12.50."
IN_DIGITS = "Write it in digits, like 12.50."


@pytest.mark.parametrize(
    ("written", "cents"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("42", 4200),
        ("0.01", 1),
        (".50", 50),
        ("$20", 2000),
        ("$ 700", 70000),
        ("  450.00 ", 45000),
        ("1,250.00", 125000),
        ("$1,250", 125000),
        ("$1,000,000.00", 100000000),
        ("USD 40", 4000),
        ("40 usd", 4000),
        ("$50 USD", 5000),
        ("25 dollars", 2500),
        ("1 dollar", 100),
        ("20 bucks", 2000),
        ("13.75dollars", 1375),
        ("fifty dollars", 5000),
        ("Fifty Bucks", 5000),
        ("twenty-five dollars", 2500),
        ("twenty five dollars", 2500),
        ("a hundred and twenty dollars", 12000),
        ("one hundred twenty dollars", 12000),
        ("a hundred bucks", 10000),
        ("hundred dollars", 10000),
        ("fifteen hundred dollars", 150000),
        ("two thousand five hundred and ten dollars", 251000),
        ("a dollar", 100),
        ("$fifty", 5000),
        ("seventy", 7000),
        ("$9,999,999.99", 999999999),
    ],
)
def test_an_amount_written_the_ways_people_write_it_is_read_in_cents(written: str, cents: int) -> None:
    assert parse_amount(written) == cents


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("$-5", f'"$-5" is below zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("-5", f'"-5" is below zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("-$5", f'"-$5" is below zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("\u22125", f'"\u22125" is below zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("minus five dollars", f'"minus five dollars" is below zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("$0", f'"$0" is zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("0.00", f'"0.00" is zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("zero dollars", f'"zero dollars" is zero: an amount must be more than $0.00. {TRY_AGAIN}'),
        ("0,0,1", f'I couldn\'t read "0,0,1": commas only separate thousands, as in 1,250.00. {TRY_AGAIN}'),
        ("12,50", f'I couldn\'t read "12,50": commas only separate thousands, as in 1,250.00. {TRY_AGAIN}'),
        ("1,25.00", f'I couldn\'t read "1,25.00": commas only separate thousands, as in 1,250.00. {TRY_AGAIN}'),
        ("$12.345", f'"$12.345" has more than two decimals: amounts are in dollars and cents. {TRY_AGAIN}'),
        ("1,250.001", f'"1,250.001" has more than two decimals: amounts are in dollars and cents. {TRY_AGAIN}'),
        ("$10,000,000", f'"$10,000,000" is more than $9,999,999.99, the most an amount can be. {TRY_AGAIN}'),
        ("", f'I couldn\'t read "" as an amount. {TRY_AGAIN}'),
        ("abc", f'I couldn\'t read "abc" as an amount. {TRY_AGAIN}'),
        ("007", f'I couldn\'t read "007" as an amount. {TRY_AGAIN}'),
        ("+5", f'I couldn\'t read "+5" as an amount. {TRY_AGAIN}'),
        ("5k", f'I couldn\'t read "5k" as an amount. {TRY_AGAIN}'),
        ("1e-05", f'I couldn\'t read "1e-05" as an amount. {TRY_AGAIN}'),
        ("$$5", f'I couldn\'t read "$$5" as an amount. {TRY_AGAIN}'),
        ("1" * 80, f'I couldn\'t read "{"1" * 80}" as an amount. {TRY_AGAIN}'),
        ("five fifty", f'I can\'t be sure what amount "five fifty" is. {IN_DIGITS}'),
        ("twenty five hundred dollars", f'I can\'t be sure what amount "twenty five hundred dollars" is. {IN_DIGITS}'),
        ("twenty twenty dollars", f'I can\'t be sure what amount "twenty twenty dollars" is. {IN_DIGITS}'),
        ("a fifty", f'I can\'t be sure what amount "a fifty" is. {IN_DIGITS}'),
        ("one hundred and", f'I can\'t be sure what amount "one hundred and" is. {IN_DIGITS}'),
        ("zero five dollars", f'I can\'t be sure what amount "zero five dollars" is. {IN_DIGITS}'),
        ("one two", f'I can\'t be sure what amount "one two" is. {IN_DIGITS}'),
        ("a", f'I couldn\'t read "a" as an amount. {TRY_AGAIN}'),
    ],
)
def test_an_amount_that_cant_be_taken_as_written_is_refused_with_what_to_write(written: str, message: str) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(written)

    assert refused.value.message == message
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("message", "asked_for_an_amount", "cents"),
    [
        ("I'd like a refund of $20 for order 1001", False, 2000),
        ("refund $20.", False, 2000),
        ("can I get $ 700 back for order 1003, please", False, 70000),
        ("i'd like 42.50 dollars refunded for order 1001", False, 4250),
        ("refund fifty dollars for order 1003", False, 5000),
        ("a hundred and twenty dollars back for 1003 please", False, 12000),
        ("make that 20 bucks", False, 2000),
        ("refund order 1001", False, None),  # an order number is not money
        ("I want my dollars back for 1001", False, None),
        ("make it 30", False, None),
        ("make it 30", True, 3000),
        ("make it 12.50 instead", True, 1250),
        ("make it fifty", True, 5000),
        ("the first one", True, None),  # "this one" is not a dollar
    ],
)
def test_an_amount_is_found_in_a_customers_message(message: str, asked_for_an_amount: bool, cents: Optional[int]) -> None:
    assert find_amount(message, bare_number_ok=asked_for_an_amount) == cents


@pytest.mark.parametrize(
    ("message", "asked_for_an_amount", "says"),
    [
        ("refund $-5 for order 1001", False, '"$-5" is below zero'),
        ("refund -$5 for 1001", False, '"-$5" is below zero'),
        ("make it -5", True, '"-5" is below zero'),
        ("refund $12.345 please", False, '"$12.345" has more than two decimals'),
        ("refund $0,0,1", False, 'I couldn\'t read "$0,0,1": commas only separate thousands'),
        ("refund $0 for order 1001", False, '"$0" is zero'),
        ("refund 5k dollars", False, 'I couldn\'t read "5k dollars"'),
        ("refund $$ for 1001", False, "I couldn't read the amount after the $ sign"),
        ("five fifty dollars for 1003", False, 'I can\'t be sure what amount "five fifty dollars" is'),
        ("twelve dollars and fifty cents", False, 'write "fifty cents" in dollars, like 0.50'),
        ("just 50 cents", False, 'write "50 cents" in dollars, like 0.50'),
    ],
)
def test_an_amount_in_a_message_that_cant_be_taken_is_refused_not_ignored(message: str, asked_for_an_amount: bool,
                                                                         says: str) -> None:
    with pytest.raises(AmountError) as refused:
        find_amount(message, bare_number_ok=asked_for_an_amount)

    assert says in refused.value.message


def test_amounts_are_printed_back_in_dollars_and_cents() -> None:
    assert [format_cents(c) for c in (4250, 1, 125000, -700)] == ["$42.50", "$0.01", "$1,250.00", "-$7.00"]
