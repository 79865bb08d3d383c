"""The benchmark's own customers, added to our stack's demo business before the measurements.

The demo has five customers; fifty simulated customers (and a fresh conversation for every
approval sample) need more. Each bench customer is a plain record like the demo's: a phone on
file, a default card, and one delivered $800 order (a refund of $700 on it needs a manager).
The stock baseline has no business data: any sender is a conversation there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import List

from actions.acme.models import CustomerRow, OrderRow, PaymentMethodRow
from actions.acme.sqlite_backend import SqlBusiness

ORDER_CENTS = 80000


@dataclass(frozen=True)
class BenchCustomer:
    id: str
    phone: str
    order_id: str

    @property
    def conversation_id(self) -> str:
        return f"customer-{self.id}"


def bench_customers(count: int, stock: bool = False) -> List[BenchCustomer]:
    """Our side's customers (``B0001``...), or the stock side's senders (other numbers, so the two
    sides' texts never meet at the fake Twilio)."""
    if count > 4000:
        raise ValueError("at most 4000 bench customers: their order numbers must stay four digits")
    prefix, exchange = ("S", "012") if stock else ("B", "011")
    return [BenchCustomer(f"{prefix}{n:04d}", f"+1555{exchange}{n:04d}", str(5000 + n)) for n in range(1, count + 1)]


def add_to_business(data_dir: Path, customers: List[BenchCustomer]) -> None:
    """Write ``customers`` into the stack's business database (``acme.db``, seeded at start-up)."""
    business = SqlBusiness(f"sqlite:///{data_dir / 'acme.db'}")
    today = date.today()
    try:
        with business.session(write=True) as session:
            for customer in customers:
                card = f"PB{customer.id[1:]}"
                session.add(CustomerRow(id=customer.id, name=f"Bench Customer {customer.id}", phone=customer.phone,
                                        email=f"{customer.id.lower()}@example.com"))
                session.add(PaymentMethodRow(id=card, customer_id=customer.id, brand="Visa", last4="4242",
                                             is_default=True))
                session.add(OrderRow(id=customer.order_id, customer_id=customer.id, item="Espresso machine",
                                     total_cents=ORDER_CENTS, status="delivered", placed_on=today - timedelta(days=20),
                                     delivery_date=today - timedelta(days=15), address="1 Bench Street, Springfield",
                                     payment_method_id=card))
            session.commit()
    finally:
        business.dispose()
