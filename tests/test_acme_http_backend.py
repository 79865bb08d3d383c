"""A real deployment's Acme API, faked in-process: what ``HttpBusiness`` sends and how it copes.

The fake (``tests/support/acme_api.py``) implements the contract in ``actions/acme/http_backend.py``
on top of a ``SqlBusiness`` (tmp SQLite file) and records every request so the tests can check
headers and bodies.
"""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from actions.acme.http_backend import HttpBusiness
from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.business import (
    ORIGINAL_PAYMENT_METHOD,
    STORE_CREDIT,
    ActionRequest,
    BusinessUnavailable,
)
from tests.support.acme_api import API_KEY, FakeAcmeApi

TODAY = date(2024, 6, 12)
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlBusiness]:
    business = SqlBusiness(f"sqlite:///{tmp_path / 'acme.db'}", clock=lambda: NOW)
    business.create_all()
    seed_demo(business, TODAY)
    yield business
    business.dispose()


@pytest.fixture
def api(store: SqlBusiness) -> Iterator[FakeAcmeApi]:
    fake = FakeAcmeApi(store)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def acme(api: FakeAcmeApi) -> HttpBusiness:
    return HttpBusiness(api.base_url + "/", api_key=API_KEY, timeout=5)


def refund(cents: int = 4250, destination: str = ORIGINAL_PAYMENT_METHOD) -> ActionRequest:
    return ActionRequest("refund", "C001", {"order_id": "1001", "amount_cents": cents, "destination": destination})


def balance_and_refunded(store: SqlBusiness) -> tuple:
    customer = store.get_customer("C001")
    assert customer is not None
    return customer.balance_cents, {o.id: o.refunded_cents for o in store.orders("C001")}["1001"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- reads ---------------------------------------------------------------------------------


def test_reads_come_back_exactly_as_the_database_has_them(acme: HttpBusiness, store: SqlBusiness, api: FakeAcmeApi) -> None:
    assert acme.find_customer_by_phone("whatsapp:+1 555 010 0001") == store.get_customer("C001")
    assert api.seen[0]["query"] == {"phone": "+15550100001"}
    assert api.seen[0]["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert acme.get_customer("C003") == store.get_customer("C003")
    assert acme.orders("C001") == store.orders("C001")
    assert {o.payment_method_id for o in acme.orders("C001")} == {"P001"}  # where a refund goes back to
    assert acme.subscriptions("C002") == store.subscriptions("C002")
    assert acme.payment_methods("C001") == store.payment_methods("C001")
    since = NOW - timedelta(days=30)
    assert acme.refunds_since("C003", since) == store.refunds_since("C003", since)
    assert api.seen[-1]["path"] == "/customers/C003/refunds"
    assert api.seen[-1]["query"] == {"since": "2024-05-13T15:00:00+00:00"}


def test_unknown_customers_read_as_nothing(acme: HttpBusiness) -> None:
    assert acme.find_customer_by_phone("+15559999999") is None
    assert acme.get_customer("C999") is None
    assert acme.orders("C999") == [] and acme.refunds_since("C999", NOW) == []


# -- actions -------------------------------------------------------------------------------


def test_an_approved_refund_is_posted_under_its_key_and_replayed_on_repeat(
    acme: HttpBusiness, api: FakeAcmeApi, store: SqlBusiness
) -> None:
    first = acme.execute(refund(), "approval-42")
    assert (first.ok, first.replayed, first.idempotency_key, first.kind) == (True, False, "approval-42", "refund")
    assert first.message.startswith("Refunded $42.50 for order 1001 to your Visa ending 4242.")
    [sent] = api.executions()
    assert sent["path"] == "/actions/refund"
    assert sent["headers"]["Idempotency-Key"] == "approval-42"
    assert sent["body"] == {
        "customer_id": "C001",
        "params": {"order_id": "1001", "amount_cents": 4250, "destination": "original_payment_method"},
    }

    again = acme.execute(refund(), "approval-42")
    assert (again.ok, again.replayed, again.message) == (True, True, first.message)
    assert balance_and_refunded(store) == (0, 4250)  # back to the card: the balance is not touched


def test_a_refund_as_store_credit_says_so_in_the_payload_and_credits_the_balance_once(
    acme: HttpBusiness, api: FakeAcmeApi, store: SqlBusiness
) -> None:
    first = acme.execute(refund(4250, STORE_CREDIT), "credit-42")
    assert first.message.startswith("Added $42.50 of store credit to your Acme account for order 1001.")
    assert api.executions()[0]["body"]["params"]["destination"] == "store_credit"
    again = acme.execute(refund(4250, STORE_CREDIT), "credit-42")
    assert (again.ok, again.replayed) == (True, True)
    assert balance_and_refunded(store) == (4250, 4250)


def test_a_destination_outside_the_contract_is_refused_with_the_servers_message(acme: HttpBusiness) -> None:
    refused = acme.execute(refund(100, "gift_card"), "k-gift")
    assert not refused.ok and "destination must be one of original_payment_method, store_credit" in refused.message
    assert refused.details == {"http_status": 422}


def test_a_business_refusal_reaches_the_customer_verbatim(acme: HttpBusiness) -> None:
    result = acme.execute(refund(99999), "too-much")
    assert (result.ok, result.message) == (False, "Order 1001 can be refunded up to $42.50, so we can't refund $999.99.")


def test_a_4xx_is_a_refusal_carrying_the_servers_message(acme: HttpBusiness) -> None:
    acme.execute(refund(), "approval-42")
    reused = acme.execute(refund(100), "approval-42")
    assert not reused.ok and "already used for a different action" in reused.message
    assert reused.details == {"http_status": 422}


def test_a_lost_response_is_retried_once_with_the_same_key(api: FakeAcmeApi, store: SqlBusiness) -> None:
    class DropsFirstResponse(requests.Session):
        dropped = False

        def post(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            response = super().post(*args, **kwargs)  # the server really ran it...
            if not self.dropped:
                self.dropped = True
                raise requests.ConnectionError("connection reset by peer")  # ...but we never heard back
            return response

    flaky = HttpBusiness(api.base_url, api_key=API_KEY, session=DropsFirstResponse())
    result = flaky.execute(refund(), "approval-7")
    assert (result.ok, result.replayed) == (True, True)
    assert [r["headers"]["Idempotency-Key"] for r in api.executions()] == ["approval-7", "approval-7"]
    assert balance_and_refunded(store) == (0, 4250)


# -- when the business is down -------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_means_unavailable_not_refused(acme: HttpBusiness, api: FakeAcmeApi, status: int) -> None:
    api.fail_with = status
    with pytest.raises(BusinessUnavailable, match=f"HTTP {status}.*same idempotency key \\(k1\\)"):
        acme.execute(refund(), "k1")
    with pytest.raises(BusinessUnavailable, match=f"HTTP {status}"):
        acme.orders("C001")


def test_a_server_that_is_not_running_is_reported_with_its_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    down = HttpBusiness(url, timeout=2)
    with pytest.raises(BusinessUnavailable, match=f"Could not reach the business API at {url}/actions/refund"):
        down.execute(refund(), "k1")
    with pytest.raises(BusinessUnavailable, match="Check that the service is running"):
        down.find_customer_by_phone("+15550100001")


def test_a_slow_server_times_out_and_says_the_key_is_safe_to_retry(api: FakeAcmeApi) -> None:
    api.delay_seconds = 1.0
    slow = HttpBusiness(api.base_url, api_key=API_KEY, timeout=0.2)
    with pytest.raises(BusinessUnavailable, match="may or may not have run.*same idempotency key"):
        slow.execute(refund(), "k-slow")


def test_a_wrong_api_key_is_reported_not_hidden(api: FakeAcmeApi) -> None:
    wrong = HttpBusiness(api.base_url, api_key="nope")
    with pytest.raises(BusinessUnavailable, match="HTTP 401; check the API key"):
        wrong.get_customer("C001")
    refused = wrong.execute(refund(), "k1")
    assert (refused.ok, refused.message, refused.details) == (False, "Unknown API key.", {"http_status": 401})


def test_bad_configuration_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="must start with http"):
        HttpBusiness("acme.example/api")
    with pytest.raises(ValueError, match="positive number of seconds"):
        HttpBusiness("http://127.0.0.1:1", timeout=0)

