"""Turning a request plus the customer's account into a concrete, explainable proposal.

A proposal says what will be done, why it is allowed, and what it means for the customer,
because that sentence is what the customer signs off. When a detail is missing the answer is
a question; when the request cannot be done, a refusal that says why and what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Dict, Optional, Sequence, Union

from actions.domain.account import Account, day, describe_card, order_label
from actions.domain.business import ORIGINAL_PAYMENT_METHOD, STORE_CREDIT, ActionRequest, Order, ParamValue
from actions.domain.extract import Details
from actions.domain.money import format_cents


@dataclass(frozen=True)
class Proposal:
    request: ActionRequest
    what: str
    why: str
    impact: str
    amount_cents: Optional[int] = None
    order_age_days: Optional[int] = None

    def sentence(self) -> str:
        because = f", {self.why}" if self.why else ""
        return f"{self.what}{because}. {self.impact}"


@dataclass(frozen=True)
class Question:
    missing: str
    text: str
    known: Dict[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    text: str


Outcome = Union[Proposal, Question, Refusal]


def propose(kind: str, account: Account, details: Details, today: date, text: str = "", returns_window_days: int = 30) -> Outcome:
    """``returns_window_days`` comes from the risk policy; it is only used to explain a refund."""
    if kind == "refund":
        return _refund(account, details, today, returns_window_days)
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ValueError(f"no proposal builder for {kind!r}")
    return builder(account, details, today, text)


def _refund(account: Account, details: Details, today: date, window_days: int) -> Outcome:
    if details.amount_problem:  # asked again before anything else: never read as "no amount", the whole order
        return Question("amount", f"{details.amount_problem} How much would you like back?")
    picked = _pick_order(account, details, lambda o: o.refundable_cents > 0 and o.status == "delivered", "refund")
    if not isinstance(picked, Order):
        return picked
    order = picked
    if details.amount_cents is not None and details.amount_cents <= 0:
        return Refusal("A refund needs an amount above $0.00. How much would you like back?")
    amount = details.amount_cents or order.refundable_cents
    if amount > order.refundable_cents:
        return Refusal(
            f"{order_label(order, capital=True)} has {format_cents(order.refundable_cents)} left to refund, "
            f"so I can't refund {format_cents(amount)}. Ask for {format_cents(order.refundable_cents)} or less and I'll set it up."
        )
    age = (today - (order.delivery_date or order.placed_on)).days
    destination = details.refund_to or ORIGINAL_PAYMENT_METHOD
    if destination == STORE_CREDIT:
        what = f"Add {format_cents(amount)} of store credit to your Acme account for {order_label(order)}"
        impact = "You can spend it at once; it can't be moved back to your card later."
    else:
        what = f"Refund {format_cents(amount)} to {_paid_with(account, order)} for {order_label(order)}"
        impact = "You'll see it in 3-5 working days."
    params: Dict[str, ParamValue] = {"order_id": order.id, "amount_cents": amount, "destination": destination}
    return Proposal(
        request=ActionRequest("refund", account.customer.id, params),
        what=what,
        why=f"delivered {age} days ago" + (f", within our {window_days}-day returns window" if age <= window_days else ""),
        impact=impact,
        amount_cents=amount,
        order_age_days=age,
    )


def _paid_with(account: Account, order: Order) -> str:
    """Where a refund goes back to: the card the order was paid with, saved on the account or not."""
    card = account.payment_method(order.payment_method_id)
    return describe_card(card) if card else "the card you paid with"


def _change_address(account: Account, details: Details, today: date, text: str) -> Outcome:
    picked = _pick_order(account, details, lambda o: o.status != "delivered", "send to a new address")
    if not isinstance(picked, Order):
        return picked
    if not details.address:
        return Question("address", f"What's the new delivery address for {order_label(picked)}?", {"order_id": picked.id})
    if details.address.lower() == picked.address.lower():
        return Refusal(f"{order_label(picked, capital=True)} is already going to {picked.address}.")
    return Proposal(
        request=ActionRequest("change_address", account.customer.id, {"order_id": picked.id, "address": details.address}),
        what=f"Send {order_label(picked)} to {details.address} instead of {picked.address}",
        why=f"as it hasn't been delivered yet (due {day(picked.delivery_date)})",
        impact="The courier will be updated and the delivery date stays the same.",
    )


def _change_slot(account: Account, details: Details, today: date, text: str) -> Outcome:
    picked = _pick_order(account, details, lambda o: o.status != "delivered", "reschedule")
    if not isinstance(picked, Order):
        return picked
    if not details.slot:
        return Question("slot", f"Which slot would suit you for {order_label(picked)}: morning, afternoon or evening?", {"order_id": picked.id})
    if details.slot == picked.delivery_slot:
        return Refusal(f"{order_label(picked, capital=True)} is already booked for the {details.slot} slot.")
    return Proposal(
        request=ActionRequest("change_delivery_slot", account.customer.id, {"order_id": picked.id, "slot": details.slot}),
        what=f"Move the delivery of {order_label(picked)} on {day(picked.delivery_date)} from the {picked.delivery_slot or 'standard'} slot to the {details.slot} slot",
        why="as it hasn't been delivered yet",
        impact="The courier will arrive in the new slot; the date stays the same.",
    )


def _update_email(account: Account, details: Details, today: date, text: str) -> Outcome:
    if not details.email:
        return Question("email", "What's the new email address you'd like to use?")
    if details.email.lower() == account.customer.email.lower():
        return Refusal(f"Your account already uses {account.customer.email}.")
    return Proposal(
        request=ActionRequest("update_email", account.customer.id, {"email": details.email}),
        what=f"Change your account email from {account.customer.email} to {details.email}",
        why="",
        impact="Receipts, delivery updates and sign-in links will go to the new address.",
    )


def _cancel_subscription(account: Account, details: Details, today: date, text: str) -> Outcome:
    active = account.active_subscriptions()
    if not active:
        return Refusal("You don't have an active subscription, so there's nothing to cancel.")
    named = [sub for sub in active if sub.plan.split()[0].lower() in text.lower()]
    candidates = named or active
    if len(candidates) > 1:
        plans = " or ".join(sub.plan for sub in candidates)
        return Question("subscription", f"Which subscription should I cancel: {plans}?")
    sub = candidates[0]
    renewal = f"It won't renew on {day(sub.renews_on)} and you'll" if sub.renews_on else "You'll"
    return Proposal(
        request=ActionRequest("cancel_subscription", account.customer.id, {"subscription_id": sub.id}),
        what=f"Cancel your {sub.plan} subscription ({format_cents(sub.price_cents)} per period)",
        why="",
        impact=f"{renewal} lose member pricing. This can't be undone here.",
    )


def _close_account(account: Account, details: Details, today: date, text: str) -> Outcome:
    subs = account.active_subscriptions()
    ending = f" Your {', '.join(sub.plan for sub in subs)} subscription will be cancelled too." if subs else ""
    return Proposal(
        request=ActionRequest("close_account", account.customer.id, {}),
        what=f"Close your Acme account ({account.customer.email})",
        why="",
        impact=f"You won't be able to sign in or see your order history afterwards.{ending} This can't be undone.",
    )


def _remove_payment_method(account: Account, details: Details, today: date, text: str) -> Outcome:
    cards = list(account.payment_methods)
    if not cards:
        return Refusal("There are no cards saved on your account.")
    matches = [
        card for card in cards
        if (details.card_last4 and card.last4 == details.card_last4)
        or (not details.card_last4 and details.card_brand and card.brand.lower() == details.card_brand)
    ]
    if details.card_last4 and not matches:
        return Refusal(f"I can't find a card ending {details.card_last4}. Your saved cards: {_cards(cards)}.")
    if len(matches) != 1:
        if len(cards) == 1 and not details.card_last4 and not details.card_brand:
            matches = cards
        else:
            return Question("card", f"Which card should I remove: {_cards(matches or cards)}? Tell me the last 4 digits.")
    card = matches[0]
    others = [other for other in cards if other.id != card.id]
    if not others:
        impact = "It's your only card, so add a new one before your next payment or renewal."
    elif card.is_default:
        impact = f"{describe_card(others[0], capital=True)} will become your default card."
    else:
        impact = "Your default card stays the same."
    return Proposal(
        request=ActionRequest("remove_payment_method", account.customer.id, {"payment_method_id": card.id}),
        what=f"Remove {describe_card(card)} from your account",
        why="",
        impact=impact,
    )


def _pick_order(account: Account, details: Details, eligible: Callable[[Order], bool], purpose: str) -> Union[Order, Question, Refusal]:
    if details.order_id:
        order = account.order(details.order_id)
        if order is None:
            return Question("order_id", f"I can't find order {details.order_id} on your account. {_order_menu(account.orders)}")
        if not eligible(order):
            return Refusal(_not_eligible(order, purpose))
        return order
    candidates = [order for order in account.orders if eligible(order)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return Refusal(f"None of your orders can be used to {purpose} right now.")
    return Question("order_id", f"Which order is this about? {_order_menu(candidates)}")


def _not_eligible(order: Order, purpose: str) -> str:
    if purpose == "refund" and order.status != "delivered":
        return f"{order_label(order, capital=True)} hasn't been delivered yet, so there's nothing to refund. Once it arrives you can return it within 30 days."
    if purpose == "refund":
        return f"{order_label(order, capital=True)} has already been refunded in full."
    return f"{order_label(order, capital=True)} has already been delivered, so I can't {purpose} it."


def _order_menu(orders: Sequence[Order]) -> str:
    listed = "; ".join(f"{order.id} {order.item} {format_cents(order.total_cents)}" for order in list(orders)[:5])
    return f"Your orders: {listed}."


def _cards(cards: Sequence) -> str:
    return " or ".join(describe_card(card) for card in cards)


_BUILDERS = {
    "change_address": _change_address,
    "change_delivery_slot": _change_slot,
    "update_email": _update_email,
    "cancel_subscription": _cancel_subscription,
    "close_account": _close_account,
    "remove_payment_method": _remove_payment_method,
}
