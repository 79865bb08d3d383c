"""Rasa's check of each action server response, with the schema checked once instead of every time.

Rasa checks every response of the action server against its response schema with jsonschema's
``validate``. That function first proves the schema itself valid against JSON Schema's meta-schema
(draft 2020-12, as the schema names no draft), and only then reads the response. The schema is a
constant, yet proving it again is most of the check: about 10 ms of every turn that calls a custom
action on two cores, a fifth of a stock turn (``bench``'s report measures it in each run).

Here the schema is proved once, when the Rasa server starts, and every response is read by one
prepared validator: the same schema, the same validator class, the same first error, the same
message. Rasa 3.6.21 is pinned, so the method replaced is the one read here.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

#: What Rasa adds to the error's message (``RemoteAction._validate_action_result``).
HOW_TO_FIX = (". Failed to validate Action server response from API, make sure your response from the Action "
              f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")


def response_checker(schema: Dict[str, Any]) -> Callable[[Any], None]:
    """A check of responses against ``schema``, proved valid now; it raises Rasa's ``ValidationError``."""
    kind = validators.validator_for(schema)
    kind.check_schema(schema)
    validator = kind(schema)

    def check(response: Any) -> None:
        error = best_match(validator.iter_errors(response))
        if error is not None:
            error.message += HOW_TO_FIX
            raise error

    return check


def check_action_responses_with_one_validator() -> None:
    """From now on, this Rasa server checks action responses with one prepared validator."""
    check = response_checker(RemoteAction.action_response_format_spec())

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        check(result)
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


