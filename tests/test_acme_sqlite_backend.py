"""Acme's own database, as the assistant sees it: one scenario suite, run on SQLite and PostgreSQL.

The demo is seeded for a fixed Wednesday so every message can be checked word for word.
PostgreSQL runs in a throwaway schema and is skipped only when no server answers.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from actions.acme.seed import restore_demo, seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from sqlalchemy import text
from sqlmodel import select

from actions.acme.models import PaymentMethodRow, RefundRow
from actions.domain.business import (
    ORIGINAL_PAYMENT_METHOD,
    STORE_CREDIT,
    ActionRequest,
    Business,
    ExecutionResult,
)
from actions.domain.money import format_cents
from actions.domain.phones import NotAPhoneNumber
from tests.support.postgres import postgres_schema_url

TODAY = date(2024, 6, 12)  # a Wednesday
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=timezone.utc)


def refund(customer_id: str, order_id: str, cents: int, destination: str = ORIGINAL_PAYMENT_METHOD) -> ActionRequest:
    return ActionRequest("refund", customer_id, {"order_id": order_id, "amount_cents": cents, "destination": destination})


def balance(acme: SqlBusiness, customer_id: str = "C001") -> int:
    customer = acme.get_customer(customer_id)
    assert customer is not None
    return customer.balance_cents


def refunded(acme: SqlBusiness, order_id: str, customer_id: str = "C001") -> int:
    return {o.id: o.refunded_cents for o in acme.orders(customer_id)}[order_id]


def refund_rows(acme: SqlBusiness, order_id: str) -> List[tuple]:
    """How each refund of the order was paid out: (amount, destination, card refunded)."""
    with acme.session() as s:
        rows = s.exec(select(RefundRow).where(RefundRow.order_id == order_id).order_by(RefundRow.id)).all()
        return [(r.amount_cents, r.destination, r.payment_method_id) for r in rows]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'acme.db'}"
        return
    with postgres_schema_url("acme_test") as url:
        yield url


@pytest.fixture
def acme(database_url: str) -> Iterator[SqlBusiness]:
    business = SqlBusiness(database_url, clock=lambda: NOW)
    business.create_all()
    seed_demo(business, TODAY)
    yield business
    business.dispose()


# -- the seeded story ----------------------------------------------------------------------


def test_the_demo_customers_are_there_with_their_history(acme: SqlBusiness) -> None:
    business: Business = acme  # SqlBusiness satisfies the port
    jane = business.find_customer_by_phone("+15550100001")
    assert jane is not None and (jane.id, jane.name, jane.email, jane.balance_cents) == (
        "C001", "Jane Doe", "jane@example.com", 0
    )
    orders = {o.id: o for o in business.orders("C001")}
    assert set(orders) == {"1001", "1002", "1003"}
    assert (orders["1001"].total_cents, orders["1001"].status, orders["1001"].delivery_date) == (
        4250, "delivered", TODAY - timedelta(days=8)
    )
    assert (orders["1002"].status, orders["1002"].delivery_date, orders["1002"].delivery_slot) == (
        "shipped", TODAY + timedelta(days=3), "morning"
    )
    assert orders["1002"].address == "12 High Street, Springfield"
    assert {o.payment_method_id for o in orders.values()} == {"P001"}  # paid with her Visa
    assert [(p.id, p.brand, p.last4, p.is_default) for p in business.payment_methods("C001")] == [
        ("P001", "Visa", "4242", True), ("P002", "Mastercard", "5555", False)
    ]
    [coffee] = business.subscriptions("C001")
    assert (coffee.plan, coffee.price_cents, coffee.renews_on) == ("Coffee Club monthly", 1999, TODAY + timedelta(days=10))

    sam_orders = {o.id: o for o in business.orders("C002")}
    assert (sam_orders["1004"].status, sam_orders["1004"].delivery_slot) == ("processing", "afternoon")
    assert [s.renews_on for s in business.subscriptions("C002")] == [TODAY + timedelta(days=4)]


def test_priya_already_had_two_refunds_this_month_taken_as_store_credit(acme: SqlBusiness) -> None:
    assert balance(acme, "C003") == 1800 + 2000
    assert refund_rows(acme, "1007") == [(1800, STORE_CREDIT, None)]
    recent = acme.refunds_since("C003", NOW - timedelta(days=30))
    assert [(r.order_id, r.amount_cents, r.created_at.date()) for r in recent] == [
        ("1007", 1800, TODAY - timedelta(days=5)),
        ("1008", 2000, TODAY - timedelta(days=2)),
    ]
    assert all(r.created_at.tzinfo is not None for r in recent)
    assert acme.refunds_since("C003", NOW - timedelta(days=3)) == recent[1:]
    orders = {o.id: o for o in acme.orders("C003")}
    assert (orders["1007"].refundable_cents, orders["1008"].refundable_cents) == (0, 3400)


def test_seeding_again_changes_nothing(acme: SqlBusiness) -> None:
    seed_demo(acme, TODAY + timedelta(days=100))
    assert [o.placed_on for o in acme.orders("C001")][0] == TODAY - timedelta(days=12)
    assert len(acme.refunds_since("C003", NOW - timedelta(days=365))) == 2


def test_the_large_orders_reach_every_approval_band_within_the_returns_window(acme: SqlBusiness) -> None:
    large = {o.id: o for c in ("C004", "C005") for o in acme.orders(c)}
    assert {o.id: (o.customer_id, o.item, o.refundable_cents, o.status) for o in large.values()} == {
        "1009": ("C004", "Laptop", 899_00, "delivered"),
        "1010": ("C004", "Home gym", 4_150_00, "delivered"),
        "1011": ("C005", "Commercial espresso bar", 15_000_00, "delivered"),
    }
    assert all(TODAY - o.delivery_date <= timedelta(days=14) for o in large.values() if o.delivery_date)
    assert [p.is_default for c in ("C004", "C005") for p in acme.payment_methods(c)] == [True, True]


def test_restoring_the_demo_takes_back_everything_the_assistant_did(acme: SqlBusiness) -> None:
    acme.execute(refund("C001", "1001", 4250), "refund-headphones")
    acme.execute(ActionRequest("close_account", "C002", {}), "close-sam")

    restore_demo(acme, TODAY + timedelta(days=1))

    assert {o.id: o.refunded_cents for o in acme.orders("C001")}["1001"] == 0
    assert acme.get_customer("C001").balance_cents == 0  # type: ignore[union-attr]
    assert acme.get_customer("C002").status == "active"  # type: ignore[union-attr]
    assert acme.orders("C001")[0].placed_on == TODAY + timedelta(days=1) - timedelta(days=12)  # dated anew
    assert [r.order_id for r in acme.refunds_since("C003", NOW - timedelta(days=365))] == ["1007", "1008"]
    again = acme.execute(refund("C001", "1001", 4250), "refund-headphones")
    assert again.ok and not again.replayed  # the execution records went too: the same key runs anew


@pytest.mark.parametrize(
    "typed", ["+1 555 010 0001", "whatsapp:+15550100001", "tel:+1-555-010-0001", "001 (555) 010.0001",
              "(555) 010-0001", "15550100001"]
)
def test_a_customer_is_found_however_the_channel_writes_the_number(acme: SqlBusiness, typed: str) -> None:
    found = acme.find_customer_by_phone(typed)  # without a country code: the default region's (US)
    assert found is not None and found.id == "C001"


def test_text_that_is_no_phone_number_is_refused_saying_why_not_looked_up(acme: SqlBusiness) -> None:
    with pytest.raises(NotAPhoneNumber, match="'jane' is not a phone number: it has letters in it"):
        acme.find_customer_by_phone("jane")


def test_unknown_numbers_and_ids_find_nobody(acme: SqlBusiness) -> None:
    assert acme.find_customer_by_phone("+15559999999") is None
    assert acme.get_customer("C999") is None
    assert acme.orders("C999") == []


# -- actions -------------------------------------------------------------------------------


def test_a_refund_goes_back_to_the_card_that_paid_and_leaves_the_balance_alone(acme: SqlBusiness) -> None:
    result = acme.execute(refund("C001", "1001", 4250), "approval-1")
    assert result.ok and not result.replayed
    assert result.message == (
        "Refunded $42.50 for order 1001 to your Visa ending 4242. It will show in 3-5 working days."
    )
    assert result.details["card"] == "Visa ending 4242" and result.details["payment_method_id"] == "P001"
    assert result.details["destination"] == ORIGINAL_PAYMENT_METHOD
    assert refunded(acme, "1001") == 4250
    assert balance(acme) == 0  # the balance is store credit only: a refund to the card is not credit
    assert refund_rows(acme, "1001") == [(4250, ORIGINAL_PAYMENT_METHOD, "P001")]
    [made] = acme.refunds_since("C001", NOW - timedelta(minutes=1))
    assert (made.id, made.order_id, made.amount_cents, made.created_at) == (result.details["refund_id"], "1001", 4250, NOW)


def test_a_refund_goes_to_the_card_that_paid_not_to_a_newer_default_card(acme: SqlBusiness) -> None:
    with acme.session(write=True) as s:
        for card in s.exec(select(PaymentMethodRow).where(PaymentMethodRow.customer_id == "C001")):
            card.is_default = card.id == "P002"  # Jane now pays with her Mastercard by default
            s.add(card)
        s.commit()
    result = acme.execute(refund("C001", "1001", 1000), "after-new-default")
    assert result.message.startswith("Refunded $10.00 for order 1001 to your Visa ending 4242.")
    assert refund_rows(acme, "1001") == [(1000, ORIGINAL_PAYMENT_METHOD, "P001")]


def test_store_credit_raises_the_balance_by_the_amount_once(acme: SqlBusiness) -> None:
    first = acme.execute(refund("C001", "1001", 4250, STORE_CREDIT), "credit-1")
    assert (first.ok, first.message) == (
        True, "Added $42.50 of store credit to your Acme account for order 1001. Your balance is now $42.50, ready to spend."
    )
    assert (first.details["destination"], first.details["balance_cents"]) == (STORE_CREDIT, 4250)
    again = acme.execute(refund("C001", "1001", 4250, STORE_CREDIT), "credit-1")
    assert again == ExecutionResult(**{**first.__dict__, "replayed": True})
    assert (balance(acme), refunded(acme, "1001")) == (4250, 4250)
    assert refund_rows(acme, "1001") == [(4250, STORE_CREDIT, None)]  # no card is refunded
    assert len(acme.refunds_since("C001", NOW - timedelta(days=1))) == 1  # still a refund, for the risk check


def test_a_refund_larger_than_what_is_left_is_refused_and_stays_refused(acme: SqlBusiness) -> None:
    assert acme.execute(refund("C001", "1001", 1000, STORE_CREDIT), "first").ok  # store credit uses it up too
    refused = acme.execute(refund("C001", "1001", 4000), "second")
    assert not refused.ok
    assert refused.message == "Order 1001 can be refunded up to $32.50, so we can't refund $40.00."
    assert (balance(acme), refunded(acme, "1001")) == (1000, 1000)
    again = acme.execute(refund("C001", "1001", 4000), "second")
    assert (again.ok, again.replayed, again.message) == (False, True, refused.message)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (refund("C001", "1004", 100), "We couldn't find order 1004 on your account, so nothing was changed."),
        (refund("C003", "1007", 100), "Order 1007 has already been refunded in full."),
        (refund("C001", "1001", 0), "A refund has to be for more than $0.00, so nothing was refunded."),
        (ActionRequest("change_address", "C001", {"order_id": "1001", "address": "1 New Road"}),
         "Order 1001 has already been delivered, so its address can't be changed."),
        (ActionRequest("change_delivery_slot", "C001", {"order_id": "1002", "slot": "midnight"}),
         "Delivery slots are morning, afternoon or evening; nothing was changed."),
        (ActionRequest("update_email", "C001", {"email": "jane at example"}),
         "jane at example doesn't look like an email address; nothing was changed."),
        (ActionRequest("cancel_subscription", "C001", {"subscription_id": "S002"}),
         "We couldn't find subscription S002 on your account."),
        (ActionRequest("remove_payment_method", "C002", {"payment_method_id": "P001"}),
         "We couldn't find payment method P001 on your account."),
        (refund("C999", "1001", 100), "We couldn't find that account, so nothing was changed."),
    ],
)
def test_refusals_explain_themselves_and_change_nothing(
    acme: SqlBusiness, request_: ActionRequest, message: str
) -> None:
    before = [acme.orders(c) for c in ("C001", "C002", "C003")], acme.get_customer("C001")
    result = acme.execute(request_, "refused-key")
    assert (result.ok, result.message) == (False, message)
    assert ([acme.orders(c) for c in ("C001", "C002", "C003")], acme.get_customer("C001")) == before


def test_an_undelivered_parcel_can_be_redirected_and_rescheduled(acme: SqlBusiness) -> None:
    moved = acme.execute(
        ActionRequest("change_address", "C001", {"order_id": "1002", "address": "  1 New Road,  Springfield "}), "a1"
    )
    assert moved.message == "Order 1002 (Smart speaker) will now be delivered to 1 New Road, Springfield."
    slot = acme.execute(ActionRequest("change_delivery_slot", "C001", {"order_id": 1002, "slot": "Evening"}), "a2")
    assert slot.message == "Order 1002 (Smart speaker) will now arrive in the evening on Saturday 15 June."
    order = {o.id: o for o in acme.orders("C001")}["1002"]
    assert (order.address, order.delivery_slot) == ("1 New Road, Springfield", "evening")
    too_late = acme.execute(ActionRequest("change_delivery_slot", "C001", {"order_id": "1001", "slot": "morning"}), "a3")
    assert (too_late.ok, too_late.message) == (
        False, "Order 1001 has already been delivered, so its slot can't be changed."
    )


def test_email_is_updated(acme: SqlBusiness) -> None:
    result = acme.execute(ActionRequest("update_email", "C002", {"email": "sam.lee@example.org"}), "e1")
    assert result.message == "Your email address is now sam.lee@example.org."
    assert acme.get_customer("C002").email == "sam.lee@example.org"  # type: ignore[union-attr]


def test_a_subscription_is_cancelled_once(acme: SqlBusiness) -> None:
    result = acme.execute(ActionRequest("cancel_subscription", "C002", {"subscription_id": "S002"}), "s1")
    assert result.message == "Your Snack Box weekly subscription is cancelled. You won't be charged $12.50 on Sunday 16 June."
    [sub] = acme.subscriptions("C002")
    assert (sub.status, sub.renews_on) == ("cancelled", None)
    second = acme.execute(ActionRequest("cancel_subscription", "C002", {"subscription_id": "S002"}), "s2")
    assert (second.ok, second.message) == (False, "Your Snack Box weekly subscription is already cancelled.")


def test_closing_an_account_cancels_its_subscriptions_and_stops_further_changes(acme: SqlBusiness) -> None:
    closed = acme.execute(ActionRequest("close_account", "C001", {}), "close")
    assert closed.message == "Your Acme account is closed. We also cancelled your subscriptions: Coffee Club monthly."
    assert acme.get_customer("C001").status == "closed"  # type: ignore[union-attr]
    assert [s.status for s in acme.subscriptions("C001")] == ["cancelled"]
    after = acme.execute(refund("C001", "1001", 100), "after-close")
    assert (after.ok, after.message) == (False, "This account is closed, so nothing was changed.")


def test_removing_the_default_card_promotes_another(acme: SqlBusiness) -> None:
    result = acme.execute(ActionRequest("remove_payment_method", "C001", {"payment_method_id": "P001"}), "p1")
    assert result.message == "Removed your Visa ending 4242. Your Mastercard ending 5555 is now your default card."
    assert [(p.id, p.is_default) for p in acme.payment_methods("C001")] == [("P002", True)]
    later = acme.execute(refund("C001", "1001", 500), "after-card")
    # the bank refunds the original charge: still the Visa, though it is no longer saved
    assert later.message == "Refunded $5.00 for order 1001 to the card you paid with. It will show in 3-5 working days."
    assert (later.details["payment_method_id"], "card" in later.details) == ("P001", False)


def test_removing_the_only_card_leaves_none(acme: SqlBusiness) -> None:
    result = acme.execute(ActionRequest("remove_payment_method", "C002", {"payment_method_id": "P003"}), "p3")
    assert result.message == "Removed your Amex ending 0005."
    assert acme.payment_methods("C002") == []
    assert "to the card you paid with" in acme.execute(refund("C002", "1005", 500), "no-card").message
    assert balance(acme, "C002") == 0


# -- idempotency ---------------------------------------------------------------------------


def test_a_repeated_key_returns_the_first_result_without_running_again(acme: SqlBusiness) -> None:
    first = acme.execute(refund("C001", "1003", 10000), "approval-7")
    second = acme.execute(refund("C001", "1003", 10000), "approval-7")
    assert second == ExecutionResult(**{**first.__dict__, "replayed": True})
    assert refunded(acme, "1003") == 10000
    assert len(acme.refunds_since("C001", NOW - timedelta(days=1))) == 1


@pytest.mark.parametrize(
    "other",
    [refund("C001", "1003", 10001), refund("C001", "1001", 10000), ActionRequest("close_account", "C001", {}),
     refund("C002", "1003", 10000), refund("C001", "1003", 10000, STORE_CREDIT)],
)
def test_a_key_reused_for_a_different_action_is_refused(acme: SqlBusiness, other: ActionRequest) -> None:
    acme.execute(refund("C001", "1003", 10000), "approval-7")
    with pytest.raises(ValueError, match="already used for a different action"):
        acme.execute(other, "approval-7")


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (ActionRequest("teleport", "C001", {}), "Unknown action kind"),
        (ActionRequest("refund", "C001", {"order_id": "1001"}), r"missing \['amount_cents', 'destination'\]"),
        (refund("C001", "1001", 100, "gift_card"), "destination must be one of original_payment_method, store_credit"),
        (refund("C001", "1001", "42.50"), "integer number of cents"),  # type: ignore[arg-type]
        (ActionRequest("close_account", "C001", {"reason": "x"}), r"unexpected \['reason'\]"),
    ],
)
def test_malformed_requests_are_caller_bugs_and_are_not_recorded(acme: SqlBusiness, bad: ActionRequest, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        acme.execute(bad, "bad-key")
    assert acme.execute(ActionRequest("close_account", "C002", {}), "bad-key").ok  # the key is still free


@pytest.mark.parametrize(("destination", "credit"), [(ORIGINAL_PAYMENT_METHOD, 0), (STORE_CREDIT, 4250)])
def test_two_threads_approving_at_once_refund_once(acme: SqlBusiness, destination: str, credit: int) -> None:
    barrier = threading.Barrier(2)
    results: List[ExecutionResult] = []

    def approve() -> None:
        barrier.wait()
        results.append(acme.execute(refund("C001", "1001", 4250, destination), "double-tap"))

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r.replayed for r in results) == [False, True]
    assert all(r.ok for r in results)
    assert (balance(acme), refunded(acme, "1001")) == (credit, 4250)
    assert len(acme.refunds_since("C001", NOW - timedelta(days=1))) == 1


def test_two_different_approvals_cannot_both_refund_the_whole_order(acme: SqlBusiness) -> None:
    barrier = threading.Barrier(2)
    results: List[ExecutionResult] = []

    def approve(key: str) -> None:
        barrier.wait()
        results.append(acme.execute(refund("C001", "1003", 74900), key))

    threads = [threading.Thread(target=approve, args=(f"approval-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r.ok for r in results) == [False, True]
    assert refunded(acme, "1003") == 74900


def _approve_in_another_process(url: str, barrier: Any, outcomes: Any) -> None:
    business = SqlBusiness(url, clock=lambda: NOW)
    try:
        barrier.wait(timeout=60)
        result = business.execute(refund("C001", "1001", 4250), "cross-process")
        outcomes.put((result.ok, result.replayed))
    except Exception as exc:  # reported to the parent, which fails the test
        outcomes.put(("error", repr(exc)))
    finally:
        business.dispose()


def _next_outcome(outcomes: Any, workers: List[Any]) -> Any:
    """Wait for a worker's report, failing fast if every worker died without one."""
    for _ in range(240):
        try:
            return outcomes.get(timeout=0.5)
        except queue.Empty:
            if not any(w.is_alive() for w in workers) and outcomes.empty():
                pytest.fail(f"worker processes exited without reporting: {[w.exitcode for w in workers]}")
    pytest.fail("worker processes did not report within 120s")


def test_two_processes_approving_at_once_refund_once(acme: SqlBusiness) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    outcomes = context.Queue()
    workers = [context.Process(target=_approve_in_another_process, args=(acme.url, barrier, outcomes)) for _ in range(2)]
    for w in workers:
        w.start()
    reported = [_next_outcome(outcomes, workers) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    assert sorted(reported) == [(True, False), (True, True)]
    assert refunded(acme, "1001") == 4250
    assert len(acme.refunds_since("C001", NOW - timedelta(days=1))) == 1


def test_a_demo_database_from_before_refund_destinations_is_brought_up_to_date(acme: SqlBusiness) -> None:
    """Made when every refund was credited to the balance and orders didn't record their card."""
    with acme.session(write=True) as s:
        for table, column in (("acme_order", "payment_method_id"), ("acme_refund", "destination"),
                              ("acme_refund", "payment_method_id")):
            s.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        s.commit()

    acme.create_all()
    acme.create_all()  # and again at the next start: nothing left to add

    assert {o.payment_method_id for o in acme.orders("C001")} == {"P001"}  # the card every demo order was paid with
    assert refund_rows(acme, "1007") == [(1800, STORE_CREDIT, None)]  # what every refund was, back then
    after = acme.execute(refund("C001", "1001", 500), "after")
    assert after.message.startswith("Refunded $5.00 for order 1001 to your Visa ending 4242.")
    assert balance(acme) == 0


def test_helpers_format_money() -> None:
    assert (format_cents(4250), format_cents(74900), format_cents(123456789)) == ("$42.50", "$749.00", "$1,234,567.89")


def test_an_in_memory_sqlite_url_is_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="SQLite file URL"):
        SqlBusiness("sqlite://")
