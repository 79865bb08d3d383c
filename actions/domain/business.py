"""The business the assistant acts on, seen through one narrow interface.

The assistant never touches the retailer's systems directly: it reads customers, orders,
subscriptions and payment methods, and asks for an approved action to be carried out under
an idempotency key. The demo ships a SQLite implementation; a real deployment plugs in its
own (see ``actions.acme.http_backend`` for one that POSTs to a configured URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping, Optional, Protocol, Sequence, Union

ParamValue = Union[str, int]

#: Every kind of state-changing action the business can execute.
ACTION_KINDS = (
    "refund",  # params: order_id, amount_cents, destination (one of REFUND_DESTINATIONS)
    "change_address",  # params: order_id, address
    "change_delivery_slot",  # params: order_id, slot
    "update_email",  # params: email
    "cancel_subscription",  # params: subscription_id
    "close_account",  # params: (none)
    "remove_payment_method",  # params: payment_method_id
)

#: Where a refund goes. The original payment method (the one the order was paid with) is the
#: default; store credit is only ever what the customer explicitly asked for.
ORIGINAL_PAYMENT_METHOD = "original_payment_method"
STORE_CREDIT = "store_credit"
REFUND_DESTINATIONS = (ORIGINAL_PAYMENT_METHOD, STORE_CREDIT)


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    phone: str
    email: str
    #: Account balance in cents: store credit the customer holds with Acme (positive) or owes (negative).
    #: A refund to the card leaves it alone; only a refund taken as store credit adds to it.
    balance_cents: int
    status: str = "active"  # active | closed


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    item: str
    total_cents: int
    refunded_cents: int
    status: str  # processing | shipped | delivered
    placed_on: date
    delivery_date: Optional[date]
    delivery_slot: Optional[str]
    address: str
    #: The payment method the order was paid with: where a refund goes back to. It may no longer
    #: be saved on the account (the bank still refunds the original charge). None: not known.
    payment_method_id: Optional[str] = None

    @property
    def refundable_cents(self) -> int:
        return self.total_cents - self.refunded_cents


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    plan: str
    price_cents: int
    status: str  # active | cancelled
    renews_on: Optional[date]


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    customer_id: str
    brand: str
    last4: str
    is_default: bool


@dataclass(frozen=True)
class Refund:
    id: str
    order_id: str
    customer_id: str
    amount_cents: int
    created_at: datetime


@dataclass(frozen=True)
class ActionRequest:
    """A state change the business is asked to make, exactly as the customer signed it off."""

    kind: str
    customer_id: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutionResult:
    """What happened when an action ran.

    ``ok`` is False when the business refused (e.g. refund larger than what is refundable);
    that refusal is final for the key. ``replayed`` is True when the key had already run and
    the stored result is returned instead of running again.
    """

    idempotency_key: str
    kind: str
    ok: bool
    message: str
    details: Mapping[str, ParamValue] = field(default_factory=dict)
    replayed: bool = False


class BusinessUnavailable(Exception):
    """The business backend could not be reached; nothing is known to have changed."""


class Business(Protocol):
    """Read access to the customer's account plus idempotent execution of actions."""

    def find_customer_by_phone(self, phone: str) -> Optional[Customer]:
        """The customer with this number, in any form ``actions.domain.phones.e164`` reads (raising its
        ``NotAPhoneNumber``, a ValueError, for text that is no phone number); None if nobody has it."""
        ...

    def get_customer(self, customer_id: str) -> Optional[Customer]: ...

    def orders(self, customer_id: str) -> Sequence[Order]: ...

    def subscriptions(self, customer_id: str) -> Sequence[Subscription]: ...

    def payment_methods(self, customer_id: str) -> Sequence[PaymentMethod]: ...

    def refunds_since(self, customer_id: str, since: datetime) -> Sequence[Refund]: ...

    def execute(self, request: ActionRequest, idempotency_key: str) -> ExecutionResult:
        """Run ``request`` once per ``idempotency_key``; a repeated key returns the first result."""
        ...
