"""``SqlBusiness``: the demo retailer's database, on a SQLite file or PostgreSQL.

The one hard promise is in :meth:`SqlBusiness.execute`: an idempotency key runs at most
once, even when two threads or two processes race with it (a customer double-taps
"approve", a manager approves while a retry fires). The execution record is written in
the same transaction as the change, and concurrent writers are serialised:

* SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (taking the database
  write lock up front) and waits up to ``busy_timeout`` for it, so the second writer
  queues behind the first and then finds its key already recorded.
* PostgreSQL: the customer row is locked with ``SELECT ... FOR UPDATE`` before the key is
  looked up, so the second writer waits and then sees the first one's committed record;
  the unique key is the backstop, and an ``IntegrityError`` means "someone else ran it",
  so the stored result is returned.

Use a file URL (``sqlite:///path/acme.db``) or a PostgreSQL URL; to keep the tables in
their own PostgreSQL schema append ``?options=-csearch_path%3Dmyschema``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from actions.acme.models import (
    CustomerRow,
    ExecutionRow,
    OrderRow,
    PaymentMethodRow,
    RefundRow,
    SubscriptionRow,
    acme_tables,
    add_missing_columns,
    customer_of,
    order_of,
    payment_method_of,
    refund_of,
    subscription_of,
    to_utc_naive,
)
from actions.acme.operations import check_request, perform
from actions.domain.business import (
    ActionRequest,
    Customer,
    ExecutionResult,
    Order,
    ParamValue,
    PaymentMethod,
    Refund,
    Subscription,
)
from actions.domain.phones import DEFAULT_REGION, e164
from actions.store.engines import create_engine_for

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _canonical(params: Mapping[str, ParamValue]) -> str:
    return json.dumps(dict(params), sort_keys=True, separators=(",", ":"))


#: The lookups of every turn, built once (SQLAlchemy builds a statement slower than SQLite runs it).
_BY_PHONE = select(CustomerRow).where(CustomerRow.phone == bindparam("phone"))
_BY_ID = select(CustomerRow).where(CustomerRow.id == bindparam("id"))


class SqlBusiness:
    """The ``Business`` interface over SQLModel; safe to share between threads."""

    def __init__(self, url: str, *, clock: Clock = _utcnow, phone_region: str = DEFAULT_REGION) -> None:
        self.url = url
        self._clock = clock
        self.phone_region = phone_region
        self._engine = create_engine_for(url, write_option="acme_write")
        # Same pool, but transactions opened through it take the SQLite write lock up front.
        self._write_engine: Engine = self._engine.execution_options(acme_write=True)

    def create_all(self) -> None:
        """Create the Acme tables if they are missing, and add columns an older demo database lacks.

        Under the write lock: the action server and the inbox both do this at start, and on
        SQLite a plain transaction that finds the other one writing fails instead of waiting.
        """
        with self._write_engine.begin() as connection:
            SQLModel.metadata.create_all(connection, tables=acme_tables())
            add_missing_columns(connection)

    def dispose(self) -> None:
        """Close pooled connections (tests, and before a process forks)."""
        self._engine.dispose()

    def session(self, *, write: bool = False) -> Session:
        """A session for seeding or inspection; ``write=True`` takes the SQLite write lock."""
        return Session(self._write_engine if write else self._engine, expire_on_commit=False)

    # -- reads ---------------------------------------------------------------------------

    def find_customer_by_phone(self, phone: str) -> Optional[Customer]:
        number = e164(phone, self.phone_region)
        with self.session() as s:
            row = s.exec(_BY_PHONE, params={"phone": number}).first()
            return customer_of(row) if row else None

    def get_customer(self, customer_id: str) -> Optional[Customer]:
        with self.session() as s:
            row = s.exec(_BY_ID, params={"id": customer_id}).first()
            return customer_of(row) if row else None

    def orders(self, customer_id: str) -> Sequence[Order]:
        with self.session() as s:
            rows = s.exec(select(OrderRow).where(OrderRow.customer_id == customer_id).order_by(OrderRow.id))
            return [order_of(row) for row in rows]

    def subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        with self.session() as s:
            query = select(SubscriptionRow).where(SubscriptionRow.customer_id == customer_id)
            return [subscription_of(row) for row in s.exec(query.order_by(SubscriptionRow.id))]

    def payment_methods(self, customer_id: str) -> Sequence[PaymentMethod]:
        with self.session() as s:
            query = select(PaymentMethodRow).where(PaymentMethodRow.customer_id == customer_id)
            return [payment_method_of(row) for row in s.exec(query.order_by(PaymentMethodRow.id))]

    def refunds_since(self, customer_id: str, since: datetime) -> Sequence[Refund]:
        """Refunds created at or after ``since`` (a naive ``since`` is taken as UTC)."""
        with self.session() as s:
            query = select(RefundRow).where(
                RefundRow.customer_id == customer_id, RefundRow.created_at >= to_utc_naive(since)
            )
            return [refund_of(row) for row in s.exec(query.order_by(RefundRow.created_at, RefundRow.id))]

    # -- the one write path --------------------------------------------------------------

    def execute(self, request: ActionRequest, idempotency_key: str) -> ExecutionResult:
        """Run ``request`` once for ``idempotency_key``; later calls get the stored result.

        Raises ``ValueError`` for a malformed request, or when the key was already used
        for a different request (a caller bug: the key must identify one signed-off action).
        """
        if not idempotency_key or not idempotency_key.strip():
            raise ValueError("An idempotency key is required: derive it from the approved action's id.")
        check_request(request)
        try:
            with self.session(write=True) as s:
                customer = s.exec(
                    select(CustomerRow).where(CustomerRow.id == request.customer_id).with_for_update()
                ).first()
                stored = s.get(ExecutionRow, idempotency_key)
                if stored is not None:
                    return _replay(stored, request, idempotency_key)
                now = self._clock()
                outcome = perform(s, customer, request, now)
                record = ExecutionRow(
                    idempotency_key=idempotency_key,
                    kind=request.kind,
                    customer_id=request.customer_id,
                    params_json=_canonical(request.params),
                    ok=outcome.ok,
                    message=outcome.message,
                    details_json=json.dumps(outcome.details, sort_keys=True),
                    executed_at=to_utc_naive(now),
                )
                s.add(record)
                s.commit()
                return _result(record, replayed=False)
        except IntegrityError:
            # Another writer recorded this key between our lookup and our insert.
            with self.session() as s:
                stored = s.get(ExecutionRow, idempotency_key)
                if stored is None:
                    raise
                return _replay(stored, request, idempotency_key)


def _replay(stored: ExecutionRow, request: ActionRequest, key: str) -> ExecutionResult:
    same = (
        stored.kind == request.kind
        and stored.customer_id == request.customer_id
        and stored.params_json == _canonical(request.params)
    )
    if not same:
        raise ValueError(
            f"Idempotency key {key!r} was already used for a different action "
            f"({stored.kind} for {stored.customer_id} with {stored.params_json}); "
            "use a new key for a new action."
        )
    return _result(stored, replayed=True)


def _result(row: ExecutionRow, *, replayed: bool) -> ExecutionResult:
    details: Dict[str, Any] = json.loads(row.details_json)
    return ExecutionResult(
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        ok=row.ok,
        message=row.message,
        details=details,
        replayed=replayed,
    )


__all__: List[str] = ["SqlBusiness"]
