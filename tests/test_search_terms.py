"""What a closed ticket can be found by, and what a person's typing becomes: plain functions, no database."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest

from actions.domain.closed_search import BadCursor, ClosedQuery, Cursor
from actions.domain.search_terms import (customer_terms, implied_terms, phone_digits, reference_terms, ticket_terms,
                                         word_terms, words)


def test_words_ignore_case_accents_punctuation_and_repeats() -> None:
    assert words("José's CAFÉ, café!! Order #1003") == ["jose", "s", "cafe", "order", "1003"]


def test_a_phone_number_is_its_digits_however_it_is_written_and_a_short_number_is_not_one() -> None:
    assert phone_digits("+1 (555) 010-0001") == phone_digits("15550100001") == "15550100001"
    assert phone_digits("1003") is None and phone_digits("C001") is None


def test_what_is_typed_in_each_box_becomes_terms_of_its_own_kind() -> None:
    assert customer_terms("Jane  Doe") == customer_terms("doe jane") == {"c:jane", "c:doe", "c:doe+jane"}
    assert customer_terms("Jane Ann Doe") == {"c:jane", "c:ann", "c:doe", "c:ann+jane"}  # the two longest words
    assert customer_terms("+1 555 010 0001") == {"c:15550100001"}
    assert reference_terms("#1003") == reference_terms("1003") == {"r:1003"}
    assert word_terms("Refund, refund please") == {"w:refund", "w:please"}


def test_janes_closed_ticket_carries_her_name_phone_ref_order_and_words() -> None:
    terms = ticket_terms("4f0c1a2b-9d8e-4c1b-8a7f-0123456789ab", "+15550100001",
                         {"customer": {"id": "C001", "name": "Jane Doe", "phone": "+15550100001"},
                          "entities": {"order_id": "1003"}, "summary": "Charged twice",
                          "transcript": [{"speaker": "customer", "text": "my kettle"}]},
                         ["Refunded"], ["+15557770123"])

    assert {"c:c001", "c:jane", "c:doe", "c:15550100001", "c:15557770123", "r:4f0c1a2b",
            "r:4f0c1a2b9d8e4c1b8a7f0123456789ab", "r:1003", "w:charged", "w:twice", "w:kettle",
            "w:refunded"} <= terms
    assert {"c:doe+jane", "c:c001+jane", "c:c001+doe"} <= terms  # her words in pairs, as a search may ask


def test_every_name_search_finds_the_customer_by_the_pair_it_asks_for() -> None:
    terms = ticket_terms("t1", "customer-C001", {"customer": {"id": "C001", "name": "Mary Ann de la Cruz"}}, [])

    for typed in ("Mary Cruz", "cruz ann", "Ann de la", "C001 Cruz", "mary ann de la cruz"):
        assert customer_terms(typed) <= terms, typed


def test_a_cursor_handed_out_comes_back_as_the_same_position_and_anything_else_is_refused() -> None:
    position = Cursor(datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=timezone.utc), "t1")

    assert Cursor.decode(position.encode()) == position
    no_zone = base64.urlsafe_b64encode(b"2026-01-01T00:00:00|t1").decode()
    for forged in ("", "not-a-cursor", "MjAyNg", no_zone):
        with pytest.raises(BadCursor):
            Cursor.decode(forged)


def test_a_query_refuses_an_empty_or_oversized_page() -> None:
    for limit in (0, 201):
        with pytest.raises(ValueError):
            ClosedQuery(limit=limit)


def test_a_pair_stands_for_its_two_words_and_nothing_else_does() -> None:
    assert implied_terms("c:doe+jane") == {"c:doe", "c:jane"}
    assert implied_terms("c:jane") == implied_terms("w:refund") == implied_terms("r:1003") == set()
