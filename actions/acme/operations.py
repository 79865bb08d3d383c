"""What each Acme action does to the database, and what the customer is told.

Every function here runs inside the caller's transaction with the customer row already
locked, and returns an :class:`Outcome` instead of committing: ``SqlBusiness.execute``
records that outcome under the idempotency key in the same transaction, so the change
and its record are written together or not at all. A refusal (``ok=False``) changes
nothing and is final for its key: handlers decide to refuse before they touch any row, so
the refusal's record can be committed in the same transaction without undoing anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, Mapping, Optional

from sqlmodel import Session, select

from actions.acme.formatting import format_day
from actions.acme.models import (
    CustomerRow,
    OrderRow,
    PaymentMethodRow,
    RefundRow,
    SubscriptionRow,
    refund_id,
    to_utc_naive,
)
from actions.domain.business import (
    ACTION_KINDS,
    ORIGINAL_PAYMENT_METHOD,
    REFUND_DESTINATIONS,
    STORE_CREDIT,
    ActionRequest,
    ParamValue,
)
from actions.domain.money import format_cents

DELIVERY_SLOTS = ("morning", "afternoon", "evening")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

#: The parameters each kind takes, and their type. Checked before anything is recorded.
PARAMS: Dict[str, Dict[str, type]] = {
    "refund": {"order_id": str, "amount_cents": int, "destination": str},
    "change_address": {"order_id": str, "address": str},
    "change_delivery_slot": {"order_id": str, "slot": str},
    "update_email": {"email": str},
    "cancel_subscription": {"subscription_id": str},
    "close_account": {},
    "remove_payment_method": {"payment_method_id": str},
}
assert set(PARAMS) == set(ACTION_KINDS), "every action kind needs its parameters declared"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    details: Dict[str, ParamValue] = field(default_factory=dict)


def check_request(request: ActionRequest) -> None:
    """Reject a malformed request before it is recorded: that is a bug in the caller.

    Ids may be given as ``int`` (``1001``); amounts must be integer cents.
    """
    if request.kind not in PARAMS:
        raise ValueError(f"Unknown action kind {request.kind!r}; expected one of {', '.join(ACTION_KINDS)}.")
    expected = PARAMS[request.kind]
    unexpected = sorted(set(request.params) - set(expected))
    missing = sorted(set(expected) - set(request.params))
    if unexpected or missing:
        raise ValueError(
            f"{request.kind} takes parameters {sorted(expected) or 'none'}; "
            f"missing {missing}, unexpected {unexpected}."
        )
    for name, kind in expected.items():
        value = request.params[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{request.kind}: {name} must be an integer number of cents, got {value!r}.")
        if kind is str and (isinstance(value, bool) or not isinstance(value, (str, int))):
            raise ValueError(f"{request.kind}: {name} must be text, got {value!r}.")
    if request.kind == "refund" and request.params["destination"] not in REFUND_DESTINATIONS:
        raise ValueError(
            f"refund: destination must be one of {', '.join(REFUND_DESTINATIONS)}, "
            f"got {request.params['destination']!r}."
        )


def perform(session: Session, customer: Optional[CustomerRow], request: ActionRequest, now: datetime) -> Outcome:
    """Apply ``request`` for ``customer`` (already locked) or explain why it can't be done."""
    if customer is None:
        return Outcome(False, "We couldn't find that account, so nothing was changed.")
    if customer.status == "closed":
        return Outcome(False, "This account is closed, so nothing was changed.")
    params = request.params
    return _HANDLERS[request.kind](session, customer, params, now)


def _own_order(session: Session, customer: CustomerRow, order_id: ParamValue) -> Optional[OrderRow]:
    order = session.get(OrderRow, str(order_id))
    return order if order is not None and order.customer_id == customer.id else None


def _no_order(order_id: ParamValue) -> Outcome:
    return Outcome(False, f"We couldn't find order {order_id} on your account, so nothing was changed.")


def _refund(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    order = _own_order(session, customer, params["order_id"])
    if order is None:
        return _no_order(params["order_id"])
    amount = int(params["amount_cents"])
    refundable = order.total_cents - order.refunded_cents
    if amount <= 0:
        return Outcome(False, "A refund has to be for more than $0.00, so nothing was refunded.")
    if refundable <= 0:
        return Outcome(False, f"Order {order.id} has already been refunded in full.")
    if amount > refundable:
        return Outcome(
            False,
            f"Order {order.id} can be refunded up to {format_cents(refundable)}, "
            f"so we can't refund {format_cents(amount)}.",
        )
    order.refunded_cents += amount
    if params["destination"] == STORE_CREDIT:
        return _credit_balance(session, customer, order, amount, now)
    return _refund_to_card(session, customer, order, amount, now)


def _refund_to_card(session: Session, customer: CustomerRow, order: OrderRow, amount: int, now: datetime) -> Outcome:
    """Back to the card the order was paid with: the bank carries it, the Acme balance stays as it is."""
    details = _record_refund(session, customer, order, amount, now, ORIGINAL_PAYMENT_METHOD)
    card = session.get(PaymentMethodRow, order.payment_method_id) if order.payment_method_id else None
    if card is None:  # no longer saved on the account: the original charge is refunded all the same
        destination = "the card you paid with"
    else:
        destination = f"your {card.brand} ending {card.last4}"
        details["card"] = f"{card.brand} ending {card.last4}"
    return Outcome(
        True,
        f"Refunded {format_cents(amount)} for order {order.id} to {destination}. It will show in 3-5 working days.",
        details,
    )


def _credit_balance(session: Session, customer: CustomerRow, order: OrderRow, amount: int, now: datetime) -> Outcome:
    """Store credit, which the customer asked for: the one way a refund changes the account balance."""
    customer.balance_cents += amount
    session.add(customer)
    details = _record_refund(session, customer, order, amount, now, STORE_CREDIT)
    details["balance_cents"] = customer.balance_cents
    return Outcome(
        True,
        f"Added {format_cents(amount)} of store credit to your Acme account for order {order.id}. "
        f"Your balance is now {format_cents(customer.balance_cents)}, ready to spend.",
        details,
    )


def _record_refund(session: Session, customer: CustomerRow, order: OrderRow, amount: int, now: datetime,
                   destination: str) -> Dict[str, ParamValue]:
    """The refund row (to the order's card, or as store credit), and the details every refund reports."""
    card_id = order.payment_method_id if destination == ORIGINAL_PAYMENT_METHOD else None
    row = RefundRow(order_id=order.id, customer_id=customer.id, amount_cents=amount, created_at=to_utc_naive(now),
                    destination=destination, payment_method_id=card_id)
    session.add_all([row, order])
    session.flush()  # assigns the refund id
    assert row.id is not None
    details: Dict[str, ParamValue] = {
        "order_id": order.id, "amount_cents": amount, "refund_id": refund_id(row.id), "destination": destination,
    }
    if card_id:
        details["payment_method_id"] = card_id
    return details


def _change_address(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    order = _own_order(session, customer, params["order_id"])
    if order is None:
        return _no_order(params["order_id"])
    address = " ".join(str(params["address"]).split())
    if not address:
        return Outcome(False, "Please tell us the full new address; nothing was changed.")
    if order.status == "delivered":
        return Outcome(False, f"Order {order.id} has already been delivered, so its address can't be changed.")
    previous, order.address = order.address, address
    session.add(order)
    return Outcome(
        True,
        f"Order {order.id} ({order.item}) will now be delivered to {address}.",
        {"order_id": order.id, "address": address, "previous_address": previous},
    )


def _change_slot(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    order = _own_order(session, customer, params["order_id"])
    if order is None:
        return _no_order(params["order_id"])
    slot = str(params["slot"]).strip().lower()
    if slot not in DELIVERY_SLOTS:
        return Outcome(False, "Delivery slots are morning, afternoon or evening; nothing was changed.")
    if order.status == "delivered":
        return Outcome(False, f"Order {order.id} has already been delivered, so its slot can't be changed.")
    previous, order.delivery_slot = order.delivery_slot, slot
    session.add(order)
    when = f" on {format_day(order.delivery_date)}" if order.delivery_date else ""
    details: Dict[str, ParamValue] = {"order_id": order.id, "slot": slot}
    if previous:
        details["previous_slot"] = previous
    return Outcome(True, f"Order {order.id} ({order.item}) will now arrive in the {slot}{when}.", details)


def _update_email(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    email = str(params["email"]).strip()
    if not _EMAIL.match(email):
        return Outcome(False, f"{email or 'That'} doesn't look like an email address; nothing was changed.")
    previous, customer.email = customer.email, email
    session.add(customer)
    return Outcome(True, f"Your email address is now {email}.", {"email": email, "previous_email": previous})


def _cancel(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    sub = session.get(SubscriptionRow, str(params["subscription_id"]))
    if sub is None or sub.customer_id != customer.id:
        return Outcome(False, f"We couldn't find subscription {params['subscription_id']} on your account.")
    if sub.status != "active":
        return Outcome(False, f"Your {sub.plan} subscription is already cancelled.")
    renews_on = sub.renews_on
    sub.status, sub.renews_on = "cancelled", None
    session.add(sub)
    tail = f" You won't be charged {format_cents(sub.price_cents)} on {format_day(renews_on)}." if renews_on else ""
    return Outcome(True, f"Your {sub.plan} subscription is cancelled.{tail}", {"subscription_id": sub.id})


def _close(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    active = session.exec(
        select(SubscriptionRow)
        .where(SubscriptionRow.customer_id == customer.id, SubscriptionRow.status == "active")
        .order_by(SubscriptionRow.id)
    ).all()
    for sub in active:
        sub.status, sub.renews_on = "cancelled", None
        session.add(sub)
    customer.status = "closed"
    session.add(customer)
    plans = ", ".join(sub.plan for sub in active)
    tail = f" We also cancelled your subscriptions: {plans}." if active else ""
    return Outcome(
        True,
        f"Your Acme account is closed.{tail}",
        {"cancelled_subscriptions": ",".join(sub.id for sub in active)},
    )


def _remove_card(session: Session, customer: CustomerRow, params: Mapping[str, ParamValue], now: datetime) -> Outcome:
    card = session.get(PaymentMethodRow, str(params["payment_method_id"]))
    if card is None or card.customer_id != customer.id:
        return Outcome(False, f"We couldn't find payment method {params['payment_method_id']} on your account.")
    label = f"{card.brand} ending {card.last4}"
    details: Dict[str, ParamValue] = {"payment_method_id": card.id, "removed": label}
    session.delete(card)
    message = f"Removed your {label}."
    if card.is_default:
        rest = session.exec(
            select(PaymentMethodRow)
            .where(PaymentMethodRow.customer_id == customer.id, PaymentMethodRow.id != card.id)
            .order_by(PaymentMethodRow.id)
        ).first()
        if rest is not None:
            rest.is_default = True
            session.add(rest)
            details["new_default_payment_method_id"] = rest.id
            message += f" Your {rest.brand} ending {rest.last4} is now your default card."
    return Outcome(True, message, details)


_Handler = Callable[[Session, CustomerRow, Mapping[str, ParamValue], datetime], Outcome]
_HANDLERS: Dict[str, _Handler] = {
    "refund": _refund,
    "change_address": _change_address,
    "change_delivery_slot": _change_slot,
    "update_email": _update_email,
    "cancel_subscription": _cancel,
    "close_account": _close,
    "remove_payment_method": _remove_card,
}
