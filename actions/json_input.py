"""Reading a JSON object that someone sent us: the object, or a refusal that says what is wrong.

The inbox's API and websocket and the REST channel all read small, flat JSON objects. Python's
``json`` has sharp edges for input from outside: a deeply nested body raises ``RecursionError``,
a number with thousands of digits raises a plain ``ValueError`` (the int digit limit), and
``NaN``/``Infinity`` are accepted although JSON has no such values. Text a database cannot store
(a NUL character for PostgreSQL, a lone surrogate escape for any) would fail only later, deep
inside a transaction. Every one of these is the sender's mistake, so it is refused here, in one
place, as ``BadJson`` with a message the sender can act on; the web layers answer it with 400.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple, Union

#: Far deeper than anything we read (our bodies are one or two levels); deeper is refused.
MAX_DEPTH = 32
NUL_REFUSED = "text must not contain NUL characters"
SURROGATE_REFUSED = "text must be valid Unicode (a lone surrogate escape such as \\ud800 is not)"


class BadJson(ValueError):
    """What was sent is not a JSON object we can use; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def json_object(raw: Union[bytes, str], what: str = "the request body") -> Dict[str, Any]:
    """``raw`` read as a JSON object, or ``BadJson`` naming ``what`` was wrong with it."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadJson(_too_deep(what)) from None
    except (json.JSONDecodeError, UnicodeDecodeError, _NotJson):
        raise BadJson(f"{what} is not valid JSON") from None
    except ValueError:  # the only other one: an integer longer than Python will convert
        raise BadJson(f"{what} has a number with too many digits") from None
    if not isinstance(value, dict):
        raise BadJson(f"{what} must be a JSON object")
    problem = _problem(value, what)
    if problem:
        raise BadJson(problem)
    return value


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(name)  # NaN, Infinity, -Infinity: Python's extension, not JSON


def storable_text_problem(text: str) -> str:
    """What makes ``text`` unstorable ("" if nothing): a NUL (PostgreSQL) or a lone surrogate (any database)."""
    if "\x00" in text:
        return NUL_REFUSED
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_REFUSED
    return ""


def _problem(value: Any, what: str) -> str:
    """What in ``value`` can't be used ("" if nothing): too deep, or text a database can't store.

    Walked with an explicit stack, so the walk itself can't run out of recursion.
    """
    stack: List[Tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = storable_text_problem(item)
            if problem:
                return problem
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return _too_deep(what)
            children = [part for pair in item.items() for part in pair] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return ""


def _too_deep(what: str) -> str:
    return f"{what} is nested too deeply (at most {MAX_DEPTH} levels)"
