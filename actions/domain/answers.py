"""Low-risk answers the assistant gives on its own: order status, delivery dates, balance, FAQ."""

from __future__ import annotations

from typing import Optional

from actions.domain.account import Account, day, order_label
from actions.domain.business import Order
from actions.domain.money import format_cents

SMALL_TALK = {
    "greet": (
        "Hi! I'm the Acme assistant. I can track orders, answer questions, and help with refunds, "
        "deliveries and your subscription. What can I do for you?"
    ),
    "goodbye": "Goodbye, and thanks for shopping with Acme!",
    "thankyou": "You're welcome! Is there anything else I can help you with?",
}

FAQ = {
    "ask_returns_policy": (
        "You can return most items within 30 days of delivery for a full refund. Start a return here in chat: "
        "tell me the order number and I'll set up the refund. Refunds go back to the card you paid with and "
        "reach it in 3-5 working days; if you'd rather have store credit to spend at once, just say so."
    ),
    "ask_opening_hours": (
        "I'm here 24/7. Our customer care team is available Monday to Friday 8am-8pm and Saturday 9am-5pm; "
        "if you need a person outside those hours, I'll pass your conversation on and they'll reply first thing."
    ),
}


def small_talk(intent: str) -> str:
    return SMALL_TALK.get(intent, SMALL_TALK["greet"])


def faq(intent: str) -> str:
    return FAQ.get(intent, "I can help with orders, deliveries, refunds, your subscription and your account.")


def order_status(account: Account, order_id: Optional[str]) -> str:
    if order_id:
        order = account.order(order_id)
        if order is None:
            return f"I can't find order {order_id} on your account. {_recent(account)}"
        return _status_line(order)
    if not account.orders:
        return "You don't have any orders with us yet."
    return " ".join(_status_line(order) for order in list(account.orders)[:3])


def delivery_date(account: Account, order_id: Optional[str]) -> str:
    if order_id and account.order(order_id) is None:
        return f"I can't find order {order_id} on your account. {_recent(account)}"
    orders = [account.order(order_id)] if order_id else [o for o in account.orders if o.status != "delivered"]
    if not orders:
        return "All your orders have been delivered. Ask me about a specific order number for details."
    return " ".join(_delivery_line(order) for order in orders if order)


def balance(account: Account) -> str:
    amount = account.customer.balance_cents
    if amount > 0:
        return f"You have {format_cents(amount)} of credit on your Acme account."
    if amount < 0:
        return f"Your Acme account has {format_cents(-amount)} outstanding."
    return "Your Acme account balance is $0.00: nothing owed and no credit."


def _status_line(order: Order) -> str:
    label = order_label(order, capital=True)
    if order.status == "delivered":
        refunded = f" {format_cents(order.refunded_cents)} has been refunded." if order.refunded_cents else ""
        return f"{label} was delivered on {day(order.delivery_date or order.placed_on)}.{refunded}"
    if order.status == "shipped":
        return f"{label} has shipped and is due {day(order.delivery_date)}{_slot(order)}."
    return f"{label} is being prepared and is due {day(order.delivery_date)}{_slot(order)}."


def _delivery_line(order: Order) -> str:
    label = order_label(order, capital=True)
    if order.status == "delivered":
        return f"{label} was delivered on {day(order.delivery_date or order.placed_on)}."
    return f"{label} is due {day(order.delivery_date)}{_slot(order)}, to {order.address}."


def _slot(order: Order) -> str:
    return f" in the {order.delivery_slot} slot" if order.delivery_slot else ""


def _recent(account: Account) -> str:
    listed = ", ".join(order.id for order in list(account.orders)[:5])
    return f"Your orders are {listed}." if listed else "You don't have any orders with us yet."
