"""Check a request's parameters the way Twilio does, answering with Twilio's error shape.

Order mirrors what Twilio reports first: unknown parameters, then missing required ones
(each with its own code, e.g. 21604 for 'To'), then the one-of rules, then types and formats.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence, Union

from devtools.fake_twilio.spec import Operation, Param

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
#: Channel addresses the Messages API accepts in 'To', e.g. ``whatsapp:+15552229999``.
CHANNEL_PREFIXES = ("whatsapp:", "messenger:", "rcs:")
#: Twilio's generic code for a request carrying parameters it does not understand.
INVALID_PARAMETER = 20001

Values = Mapping[str, Sequence[str]]


class TwilioApiError(Exception):
    """An error the fake answers with, rendered exactly like Twilio's JSON error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def to_json(self) -> dict[str, Union[int, str]]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def bad_request(code: int, message: str) -> TwilioApiError:
    return TwilioApiError(400, code, message)


def is_phone_number(value: str) -> bool:
    return bool(E164.match(value))


def is_message_address(value: str) -> bool:
    """E.164, or a channel address such as ``whatsapp:+15552229999``."""
    for prefix in CHANNEL_PREFIXES:
        if value.startswith(prefix):
            address = value[len(prefix) :]
            return is_phone_number(address) if prefix == "whatsapp:" else bool(address)
    return is_phone_number(value)


def is_call_endpoint(value: str) -> bool:
    """A phone number, a SIP URI or a Twilio Client identity."""
    return is_phone_number(value) or value.startswith(("sip:", "client:"))


def present(values: Values, name: str) -> bool:
    return any(v != "" for v in values.get(name, ()))


def check_params(operation: Operation, values: Values) -> None:
    """Raise ``TwilioApiError`` (400) when ``values`` break ``operation``'s contract."""
    unknown = sorted(set(values) - operation.names)
    if unknown:
        raise bad_request(INVALID_PARAMETER, f"Unknown parameters: {', '.join(unknown)}")
    for param in operation.params:  # declared order: 'To' is reported before 'From'
        if param.required and not present(values, param.name):
            code, message = operation.missing.get(
                param.name, (INVALID_PARAMETER, f"Missing required parameter {param.name}")
            )
            raise bad_request(code, message)
    for rule in operation.one_of:
        if not any(present(values, name) for name in rule.names):
            raise bad_request(rule.code, rule.message)
    for name, given in values.items():
        param = operation.param(name)
        assert param is not None  # unknown names were rejected above
        _check_value(operation, param, list(given))


def _check_value(operation: Operation, param: Param, given: list[str]) -> None:
    if param.type != "array" and len(given) > 1:
        raise bad_request(INVALID_PARAMETER, f"Parameter {param.name} may be given only once")
    for value in given:
        if not _has_type(param, value):
            raise bad_request(INVALID_PARAMETER, f"Invalid value for {param.name}: expected {param.type}")
        if param.enum is not None and not _in_enum(param, value):
            raise bad_request(
                INVALID_PARAMETER,
                f"Invalid value for {param.name}: must be one of {', '.join(param.enum)}",
            )
        if param.pattern and value and not re.match(param.pattern, value):
            raise bad_request(INVALID_PARAMETER, f"Invalid {param.name}: {value}")
        if param.format == "uri" and value and not value.startswith(("http://", "https://")):
            raise bad_request(INVALID_PARAMETER, f"Invalid URL for {param.name}: {value}")
    if param.name == "To" and operation.location == "form":
        valid = is_call_endpoint if param.format == "endpoint" else is_message_address
        if not valid(given[0]):
            raise bad_request(21211, f"The 'To' number {given[0]} is not a valid phone number.")


def _has_type(param: Param, value: str) -> bool:
    if param.type == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if param.type == "number":
        try:
            float(value)
        except ValueError:
            return False
        return True
    if param.type == "boolean":
        return value.lower() in ("true", "false")
    return True


def _in_enum(param: Param, value: str) -> bool:
    assert param.enum is not None
    if param.format == "http-method":
        return value.upper() in param.enum
    return value in param.enum


def as_values(multidict: Any) -> dict[str, list[str]]:
    """Turn an aiohttp multi-dict into ``{name: [values...]}``, keeping repeated keys."""
    result: dict[str, list[str]] = {}
    for key, value in multidict.items():
        result.setdefault(key, []).append(str(value))
    return result
