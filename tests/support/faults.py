"""Faults of the outside world, put in front of real parts (never instead of them)."""

from __future__ import annotations

from actions.domain.business import BusinessUnavailable


class TimesOutOnExecute:
    """The real demo business, except that executing times out as a remote API can."""

    def __init__(self, business: object) -> None:
        self._business = business

    def __getattr__(self, name: str) -> object:
        return getattr(self._business, name)

    def execute(self, request: object, key: str) -> None:
        raise BusinessUnavailable("timed out after 10 s; the action may or may not have run")


class DownForReads:
    """The real demo business, except that reading an account fails as an unreachable API does."""

    def __init__(self, business: object) -> None:
        self._business = business

    def __getattr__(self, name: str) -> object:
        if name in ("get_customer", "orders", "subscriptions", "payment_methods", "refunds_since"):
            def unreachable(*args: object) -> None:
                raise BusinessUnavailable("connection refused; is the order system up?")
            return unreachable
        return getattr(self._business, name)
