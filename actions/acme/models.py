"""SQLModel tables behind ``SqlBusiness``, and their conversion to the domain dataclasses.

Table names carry an ``acme_`` prefix because the demo database is shared with the
plugin's own stores; callers only ever see the frozen dataclasses from
``actions.domain.business``, never these rows, so a detached ORM object can't leak out.
Datetimes are stored as naive UTC (SQLite has no time zones) and handed out as aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import List, Optional

from sqlalchemy import Table, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from actions.domain.business import ORIGINAL_PAYMENT_METHOD, Customer, Order, PaymentMethod, Refund, Subscription


class CustomerRow(SQLModel, table=True):
    __tablename__ = "acme_customer"

    id: str = Field(primary_key=True)
    name: str
    phone: str = Field(index=True, unique=True)
    email: str
    balance_cents: int = 0
    status: str = "active"


class OrderRow(SQLModel, table=True):
    __tablename__ = "acme_order"

    id: str = Field(primary_key=True)
    customer_id: str = Field(foreign_key="acme_customer.id", index=True)
    item: str
    total_cents: int
    refunded_cents: int = 0
    status: str
    placed_on: date
    delivery_date: Optional[date] = None
    delivery_slot: Optional[str] = None
    address: str
    #: The card the order was paid with. No foreign key: removing a saved card doesn't change
    #: how an order was paid, and a refund still goes back to that card.
    payment_method_id: Optional[str] = None


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "acme_subscription"

    id: str = Field(primary_key=True)
    customer_id: str = Field(foreign_key="acme_customer.id", index=True)
    plan: str
    price_cents: int
    status: str = "active"
    renews_on: Optional[date] = None


class PaymentMethodRow(SQLModel, table=True):
    __tablename__ = "acme_payment_method"

    id: str = Field(primary_key=True)
    customer_id: str = Field(foreign_key="acme_customer.id", index=True)
    brand: str
    last4: str
    is_default: bool = False


class RefundRow(SQLModel, table=True):
    __tablename__ = "acme_refund"

    #: Autoincrement, so concurrent refunds for different customers never pick the same id.
    id: Optional[int] = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="acme_order.id", index=True)
    customer_id: str = Field(foreign_key="acme_customer.id", index=True)
    amount_cents: int
    created_at: datetime
    #: ``original_payment_method`` (back to the card the order was paid with) or ``store_credit``.
    destination: str = ORIGINAL_PAYMENT_METHOD
    payment_method_id: Optional[str] = None  # the card refunded, for a refund to the original payment method


class ExecutionRow(SQLModel, table=True):
    """One row per idempotency key, written in the same transaction as the change it made."""

    __tablename__ = "acme_execution"

    idempotency_key: str = Field(primary_key=True)
    kind: str
    customer_id: str = Field(index=True)
    params_json: str
    ok: bool
    message: str
    details_json: str
    executed_at: datetime


def acme_tables() -> List[Table]:
    """The tables to create: SQLModel's metadata is shared with every other model in the app."""
    rows = (CustomerRow, OrderRow, SubscriptionRow, PaymentMethodRow, RefundRow, ExecutionRow)
    return [row.__table__ for row in rows]  # type: ignore[attr-defined]


#: Columns added after the first demo databases were made: (table, column, SQL type and default,
#: statement that fills it in for the rows already there).
_ADDED_COLUMNS = (
    ("acme_order", "payment_method_id", "VARCHAR",
     # the demo paid every order with the customer's default card
     "UPDATE acme_order SET payment_method_id = (SELECT p.id FROM acme_payment_method p "
     "WHERE p.customer_id = acme_order.customer_id AND p.is_default)"),
    # refunds made before there was a choice went to the account balance
    ("acme_refund", "destination", "VARCHAR NOT NULL DEFAULT 'store_credit'", None),
    ("acme_refund", "payment_method_id", "VARCHAR", None),
)


def add_missing_columns(connection: Connection) -> None:
    """Bring a demo database made by an older version up to these models, keeping its data.

    The demo's tables are made by ``create_all``, which never alters an existing table.
    """
    inspector = inspect(connection)
    for table, column, kind, fill in _ADDED_COLUMNS:
        if column in {c["name"] for c in inspector.get_columns(table)}:
            continue
        connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
        if fill:
            connection.execute(text(fill))


def to_utc_naive(moment: datetime) -> datetime:
    """Store form: naive UTC. A naive input is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def refund_id(number: int) -> str:
    return f"R{number:04d}"


def customer_of(row: CustomerRow) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        phone=row.phone,
        email=row.email,
        balance_cents=row.balance_cents,
        status=row.status,
    )


def order_of(row: OrderRow) -> Order:
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        item=row.item,
        total_cents=row.total_cents,
        refunded_cents=row.refunded_cents,
        status=row.status,
        placed_on=row.placed_on,
        delivery_date=row.delivery_date,
        delivery_slot=row.delivery_slot,
        address=row.address,
        payment_method_id=row.payment_method_id,
    )


def subscription_of(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        customer_id=row.customer_id,
        plan=row.plan,
        price_cents=row.price_cents,
        status=row.status,
        renews_on=row.renews_on,
    )


def payment_method_of(row: PaymentMethodRow) -> PaymentMethod:
    return PaymentMethod(
        id=row.id,
        customer_id=row.customer_id,
        brand=row.brand,
        last4=row.last4,
        is_default=row.is_default,
    )


def refund_of(row: RefundRow) -> Refund:
    assert row.id is not None, "a refund row is only converted after it has been flushed"
    return Refund(
        id=refund_id(row.id),
        order_id=row.order_id,
        customer_id=row.customer_id,
        amount_cents=row.amount_cents,
        created_at=row.created_at.replace(tzinfo=timezone.utc),
    )
