"""The demo's customers, orders, subscriptions, cards and past refunds.

Dates are relative to ``today`` so the demo always looks current: Jane has a parcel on
its way, Sam's order is still processing, and Priya has already had two refunds in the
last 30 days (the risk policy counts those). Leo and Harbor Bistro (a business customer)
have large orders delivered within the returns window, so a chat reaches every approval
band of the policy: Leo's $899 laptop a senior signs off, his $4,150 home gym a manager,
and the bistro's $15,000 espresso bar two managers.

Seeding is skipped when any customer exists, so restarting the demo never duplicates or
resets data; ``restore_demo`` is the deliberate way back to the first state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List

from sqlmodel import Session, SQLModel, select

from actions.acme.models import (
    CustomerRow,
    OrderRow,
    PaymentMethodRow,
    RefundRow,
    SubscriptionRow,
    acme_tables,
)
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.business import STORE_CREDIT

JANE_ADDRESS = "12 High Street, Springfield"
SAM_ADDRESS = "7 Oak Avenue, Shelbyville"
PRIYA_ADDRESS = "3 Elm Court, Capital City"
LEO_ADDRESS = "48 Birch Road, Ogdenville"
BISTRO_ADDRESS = "1 Harbour Front, North Haverbrook"


@dataclass(frozen=True)
class DemoCustomer:
    """A demo customer a web chat page can sign in as (``/chat?as=<key>``)."""

    key: str
    name: str
    phone: str
    customer_id: str


DEMO_CUSTOMERS = (
    DemoCustomer("jane", "Jane Doe", "+15550100001", "C001"),
    DemoCustomer("sam", "Sam Lee", "+15550100002", "C002"),
    DemoCustomer("priya", "Priya Patel", "+15550100003", "C003"),
    DemoCustomer("leo", "Leo Martin", "+15550100004", "C004"),
    DemoCustomer("bistro", "Harbor Bistro Ltd", "+15550100005", "C005"),
)


def seed_demo(business: SqlBusiness, today: date) -> None:
    """Create the demo customers and their history, unless customers already exist."""
    with business.session(write=True) as session:
        if session.exec(select(CustomerRow)).first() is not None:
            return
        _add_rows(session, today)
        session.commit()


def restore_demo(business: SqlBusiness, today: date) -> None:
    """Put the demo business back to its first state, dated from ``today``, in one transaction.

    Every Acme row goes (refunds, executions, changed addresses, closed accounts, and any
    customer added by hand), then the seed is written again, so the demo's stories work anew.
    """
    with business.session(write=True) as session:
        for table in reversed(acme_tables()):  # children before the customers they point to
            session.execute(table.delete())
        _add_rows(session, today)
        session.commit()


def _add_rows(session: Session, today: date) -> None:
    # Parents first: PostgreSQL checks foreign keys at each flush.
    for group in _rows(today):
        session.add_all(group)
        session.flush()


def _day(today: date, offset: int) -> date:
    return today + timedelta(days=offset)


def _at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0))  # naive UTC, the stored form


def _rows(today: date) -> List[List[SQLModel]]:
    d = lambda offset: _day(today, offset)  # noqa: E731
    customers: List[SQLModel] = [
        CustomerRow(id="C001", name="Jane Doe", phone="+15550100001", email="jane@example.com", balance_cents=0),
        CustomerRow(id="C002", name="Sam Lee", phone="+15550100002", email="sam@example.com", balance_cents=0),
        # Priya took the two refunds below as store credit ($18.00 + $20.00): her balance holds them.
        CustomerRow(id="C003", name="Priya Patel", phone="+15550100003", email="priya@example.com", balance_cents=3800),
        CustomerRow(id="C004", name="Leo Martin", phone="+15550100004", email="leo@example.com", balance_cents=0),
        CustomerRow(id="C005", name="Harbor Bistro Ltd", phone="+15550100005", email="accounts@harborbistro.example",
                    balance_cents=0),
    ]
    # Delivered orders whose delivery day isn't part of the story arrive three days after ordering.
    # Every order was paid with the customer's default card: that is where a refund goes back to.
    orders: List[SQLModel] = [
        OrderRow(id="1001", customer_id="C001", item="Wireless headphones", total_cents=4250, status="delivered",
                 placed_on=d(-12), delivery_date=d(-8), address=JANE_ADDRESS,
                 payment_method_id="P001"),
        OrderRow(id="1002", customer_id="C001", item="Smart speaker", total_cents=12900, status="shipped",
                 placed_on=d(-3), delivery_date=d(3), delivery_slot="morning", address=JANE_ADDRESS,
                 payment_method_id="P001"),
        OrderRow(id="1003", customer_id="C001", item="Espresso machine", total_cents=74900, status="delivered",
                 placed_on=d(-20), delivery_date=d(-15), address=JANE_ADDRESS,
                 payment_method_id="P001"),
        OrderRow(id="1004", customer_id="C002", item="Running shoes", total_cents=8999, status="processing",
                 placed_on=d(-1), delivery_date=d(5), delivery_slot="afternoon", address=SAM_ADDRESS,
                 payment_method_id="P003"),
        OrderRow(id="1005", customer_id="C002", item="Yoga mat", total_cents=3500, status="delivered",
                 placed_on=d(-10), delivery_date=d(-7), address=SAM_ADDRESS,
                 payment_method_id="P003"),
        OrderRow(id="1006", customer_id="C003", item="TV stand", total_cents=26000, status="delivered",
                 placed_on=d(-25), delivery_date=d(-22), address=PRIYA_ADDRESS,
                 payment_method_id="P004"),
        OrderRow(id="1007", customer_id="C003", item="Phone case", total_cents=1800, refunded_cents=1800,
                 status="delivered", placed_on=d(-9), delivery_date=d(-6), address=PRIYA_ADDRESS,
                 payment_method_id="P004"),
        OrderRow(id="1008", customer_id="C003", item="Desk lamp", total_cents=5400, refunded_cents=2000,
                 status="delivered", placed_on=d(-6), delivery_date=d(-3), address=PRIYA_ADDRESS,
                 payment_method_id="P004"),
        # Large orders, all well within the 30-day returns window: one per approval band.
        OrderRow(id="1009", customer_id="C004", item="Laptop", total_cents=89900, status="delivered",
                 placed_on=d(-11), delivery_date=d(-8), address=LEO_ADDRESS, payment_method_id="P005"),
        OrderRow(id="1010", customer_id="C004", item="Home gym", total_cents=415000, status="delivered",
                 placed_on=d(-17), delivery_date=d(-12), address=LEO_ADDRESS, payment_method_id="P005"),
        OrderRow(id="1011", customer_id="C005", item="Commercial espresso bar", total_cents=1500000,
                 status="delivered", placed_on=d(-14), delivery_date=d(-10), address=BISTRO_ADDRESS,
                 payment_method_id="P006"),
    ]
    extras: List[SQLModel] = [
        SubscriptionRow(id="S001", customer_id="C001", plan="Coffee Club monthly", price_cents=1999, renews_on=d(10)),
        SubscriptionRow(id="S002", customer_id="C002", plan="Snack Box weekly", price_cents=1250, renews_on=d(4)),
        SubscriptionRow(id="S003", customer_id="C003", plan="Coffee Club monthly", price_cents=1999, renews_on=d(18)),
        PaymentMethodRow(id="P001", customer_id="C001", brand="Visa", last4="4242", is_default=True),
        PaymentMethodRow(id="P002", customer_id="C001", brand="Mastercard", last4="5555", is_default=False),
        PaymentMethodRow(id="P003", customer_id="C002", brand="Amex", last4="0005", is_default=True),
        PaymentMethodRow(id="P004", customer_id="C003", brand="Visa", last4="1881", is_default=True),
        PaymentMethodRow(id="P005", customer_id="C004", brand="Mastercard", last4="4444", is_default=True),
        PaymentMethodRow(id="P006", customer_id="C005", brand="Amex", last4="1005", is_default=True),
        RefundRow(order_id="1007", customer_id="C003", amount_cents=1800, created_at=_at_noon(d(-5)),
                  destination=STORE_CREDIT),
        RefundRow(order_id="1008", customer_id="C003", amount_cents=2000, created_at=_at_noon(d(-2)),
                  destination=STORE_CREDIT),
    ]
    return [customers, orders, extras]


__all__ = ["DEMO_CUSTOMERS", "restore_demo", "seed_demo"]
