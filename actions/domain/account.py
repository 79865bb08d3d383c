"""A customer's account as one snapshot, read once per turn from the business backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional, Sequence

from actions.domain.business import (
    Business,
    Customer,
    Order,
    PaymentMethod,
    Subscription,
)


@dataclass(frozen=True)
class Account:
    customer: Customer
    orders: Sequence[Order]
    subscriptions: Sequence[Subscription]
    payment_methods: Sequence[PaymentMethod]

    @classmethod
    def load(cls, business: Business, customer: Customer) -> "Account":
        return cls(
            customer=customer,
            orders=sorted(business.orders(customer.id), key=lambda order: order.placed_on, reverse=True),
            subscriptions=list(business.subscriptions(customer.id)),
            payment_methods=list(business.payment_methods(customer.id)),
        )

    def order(self, order_id: Optional[str]) -> Optional[Order]:
        return next((order for order in self.orders if order.id == order_id), None)

    def active_subscriptions(self) -> Sequence[Subscription]:
        return [sub for sub in self.subscriptions if sub.status == "active"]

    def payment_method(self, payment_method_id: Optional[str]) -> Optional[PaymentMethod]:
        return next((pm for pm in self.payment_methods if pm.id == payment_method_id), None)


def describe_card(card: PaymentMethod, capital: bool = False) -> str:
    text = f"your {card.brand} ending {card.last4}"
    return text[0].upper() + text[1:] if capital else text


def day(value: Optional[date]) -> str:
    """'Tue 24 Nov' — how people say dates in chat."""
    return value.strftime("%a %-d %b") if value else "a date we'll confirm by message"


def order_label(order: Order, capital: bool = False) -> str:
    return f"{'Order' if capital else 'order'} {order.id} ({order.item})"
