"""Our Rasa server checks action server responses exactly as Rasa does, with the schema proved once."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from channels.action_response_check import check_action_responses_with_one_validator, response_checker

RESPONSES = [
    {"events": [], "responses": [{"text": "Hi!"}]},
    {"events": [{"event": "slot", "name": "handback_outcome", "value": "resolved"}], "responses": []},
    {},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no such event"}], "responses": []},
    {"events": [], "responses": ["text, not an object"]},
    {"events": [{"event": "slot"}], "responses": [{"text": "a slot event with no name"}]},
    ["a list, not an object"],
]


@pytest.fixture
def rasa_own_check() -> Iterator[Any]:
    original = RemoteAction._validate_action_result
    yield original
    RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def outcome(check: Any, response: Any) -> Any:
    try:
        return check(RemoteAction("action_small_talk", None), response)
    except ValidationError as error:
        return ("refused", error.message, list(error.path), error.validator)


@pytest.mark.parametrize("response", RESPONSES)
def test_a_response_is_taken_or_refused_as_rasa_itself_would(rasa_own_check: Any, response: Any) -> None:
    expected = outcome(rasa_own_check, response)
    check_action_responses_with_one_validator()
    assert outcome(RemoteAction._validate_action_result, response) == expected


def test_a_refused_response_says_how_to_fix_it(rasa_own_check: Any) -> None:
    check_action_responses_with_one_validator()
    with pytest.raises(ValidationError, match="make sure your response from the Action endpoint is valid"):
        RemoteAction("action_small_talk", None)._validate_action_result({"events": "not a list"})


def test_a_schema_that_is_no_schema_is_refused_when_the_check_is_made_not_at_the_first_turn() -> None:
    with pytest.raises(Exception, match="is not valid under any of the given schemas|is not of type"):
        response_checker({"type": "no such type"})
