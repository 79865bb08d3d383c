"""The action server and Rasa die mid-conversation, and Twilio fails: nothing is lost, nothing runs twice.

One real stack for the module: Rasa, the action server and the inbox, texting through a fake
Twilio in the test's process (so the test can make it answer 500s or hang), and the business
behind ``ACME_BACKEND=http``: the retailer's API, served by the test (``tests/support/acme_api``),
which sees every execution and its idempotency key. Processes are stopped with SIGKILL, as a
crash stops them: nothing is flushed and nobody is told. Every wait is bounded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from actions.acme.models import ExecutionRow
from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog
from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio
from handoff.store import InboxStore
from tests.support.acme_api import API_KEY, FakeAcmeApi
from tests.support.inbox import Inbox
from tests.support.policies import policy_file
from tests.support.stacks import SHOP_NUMBER, stack_on
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

JANE, SAM, PRIYA, LEO = "+15550100001", "+15550100002", "+15550100003", "+15550100004"
#: An execution claimed this long ago with no result was left by a dead worker (the policy's
#: ``confirmation.unfinished_after``; the business here answers in milliseconds).
UNFINISHED_AFTER = 3
WAIT = 90  # seconds for a turn and its reply to cross every process (CI shares 2 cores)


@dataclass
class Shop:
    stack: Stack
    twilio: FakeTwilio
    api: FakeAcmeApi
    business: SqlBusiness
    engine: Engine

    def events(self, customer_id: str, name: str) -> List[Dict[str, Any]]:
        """The audit entries ``name`` of the customer's conversation, with their details."""
        return [dict(e.detail) for e in SqlAuditLog(self.engine).entries(f"customer-{customer_id}") if e.event == name]

    def texts_to(self, number: str) -> List[str]:
        """What the shop texted ``number``, oldest first."""
        return [m["body"] for m in self.twilio.messages if m["to"] == number]

    def texts(self, number: str, body: str) -> None:
        """``number`` texts the shop; Rasa's webhook takes it (signed, as Twilio sends it)."""
        answer = self.twilio.send_inbound_sms(f"{self.stack.rasa_url}/webhooks/sms/webhook", number, SHOP_NUMBER, body)
        assert answer.status == 200, answer

    def waits_for(self, number: str, words: str, count: int = 1) -> None:
        eventually(lambda: sum(words in body for body in self.texts_to(number)) >= count, WAIT,
                   f"{words!r} texted to {number}")

    def executions_for(self, customer_id: str) -> List[Dict[str, Any]]:
        """The execute calls the business API received for the customer (a replay included)."""
        return [r for r in self.api.executions() if r["body"]["customer_id"] == customer_id]

    def ran(self, customer_id: str) -> List[ExecutionRow]:
        """What the business actually ran for the customer: one row per idempotency key."""
        with self.business.session() as session:
            return list(session.exec(select(ExecutionRow).where(ExecutionRow.customer_id == customer_id)))

    def deliveries_waiting(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM deliveries WHERE status = 'pending'")).scalar_one()


@pytest.fixture(scope="module")
def shop(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    data_dir = tmp_path_factory.mktemp("process-faults")
    business = SqlBusiness(f"sqlite:///{data_dir / 'retailer.db'}")
    business.create_all()
    seed_demo(business, date.today())
    api = FakeAcmeApi(business)
    api.start()
    policy = policy_file(data_dir, edit=lambda p: p["confirmation"].update(unfinished_after=f"{UNFINISHED_AFTER}s"))
    env = {"ACME_BACKEND": "http", "ACME_BACKEND_URL": api.base_url, "ACME_API_KEY": API_KEY,
           "RISK_POLICY_PATH": str(policy)}
    try:
        with FakeTwilio(sms_number=SHOP_NUMBER) as twilio, stack_on(twilio, data_dir, trained_model, **env) as stack:
            engine = make_engine(f"sqlite:///{data_dir / 'hitl.db'}")
            yield Shop(stack, twilio, api, business, engine)
            engine.dispose()
    finally:
        api.stop()
        business.dispose()


# -- the action server ------------------------------------------------------------------------


def test_the_action_server_dying_after_janes_refund_ran_leaves_it_run_once_and_she_is_told(shop: Shop) -> None:
    assert "Reply YES to confirm" in " ".join(shop.stack.talk(JANE, "refund $20 for order 1001"))
    crashed = threading.Event()

    def crash_before_answering(_: Dict[str, Any]) -> None:
        """The refund is done at the business; the action server dies before it hears so."""
        if not crashed.is_set():
            crashed.set()
            shop.stack.kill("actions")

    shop.api.after_execute = crash_before_answering
    try:
        said = shop.stack.talk(JANE, "yes")
    finally:
        shop.api.after_execute = None
    assert crashed.is_set()
    assert not any("Refunded" in line for line in said)  # nobody lived to say so
    [key] = {r["headers"]["Idempotency-Key"] for r in shop.executions_for("C001")}
    [ran] = shop.ran("C001")
    assert (ran.idempotency_key, ran.ok) == (key, True)

    assert len(shop.events("C001", "confirmed")) == 1 and shop.events("C001", "executed") == []  # not known to have run

    shop.stack.restart("actions")
    time.sleep(UNFINISHED_AFTER + 1)  # the claim is now older than any live execution takes
    reply = " ".join(shop.stack.talk(JANE, "hi"))

    assert "About your earlier request: Refunded $20.00 for order 1001" in reply
    calls = shop.executions_for("C001")
    assert [r["headers"]["Idempotency-Key"] for r in calls] == [key, key]  # asked again, under the same key
    assert len(shop.ran("C001")) == 1  # ...and run once: the business replayed its first result
    order = {o.id: o for o in shop.business.orders("C001")}["1001"]
    assert order.refunded_cents == 2000
    assert len(shop.events("C001", "confirmed")) == 1
    assert len(shop.events("C001", "execution_resumed")) == 1
    [executed] = shop.events("C001", "executed")
    assert (executed["idempotency_key"], executed["replayed"]) == (key, True)
    again = shop.stack.talk(JANE, "yes")  # her yes once more: told what it did, not run again
    assert again == [f"About your earlier request: {ran.message}"] and len(shop.executions_for("C001")) == 2


# -- Rasa -------------------------------------------------------------------------------------


def test_rasa_killed_mid_conversation_carries_on_from_the_tracker_store_with_no_reply_twice(shop: Shop) -> None:
    """Sam is asked to confirm when Rasa dies; Leo's YES was accepted and his refund ran, but Rasa died
    before it heard back, so Leo was never told."""
    shop.texts(SAM, "refund $20 for order 1005")
    shop.waits_for(SAM, "Reply YES to confirm")
    shop.texts(LEO, "refund $20 for order 1009")
    shop.waits_for(LEO, "Reply YES to confirm")
    before = tracker(shop, "C002")
    crashed = threading.Event()

    def crash_before_the_turn_ends(request: Dict[str, Any]) -> None:
        if request["body"]["customer_id"] == "C004" and not crashed.is_set():
            crashed.set()
            shop.stack.kill("rasa")

    shop.api.after_execute = crash_before_the_turn_ends
    try:
        shop.texts(LEO, "YES")  # accepted at once; the turn runs afterwards
        eventually(crashed.is_set, WAIT, "Leo's refund ran at the business")
    finally:
        shop.api.after_execute = None
    shop.stack.restart("rasa")

    assert [e["event"] for e in tracker(shop, "C002")[:len(before)]] == [e["event"] for e in before]  # from the store
    shop.texts(SAM, "YES")
    shop.waits_for(SAM, "Refunded $20.00 for order 1005")
    shop.waits_for(LEO, "Refunded $20.00 for order 1009")  # his YES is taken again once its claim lapsed
    eventually(lambda: shop.deliveries_waiting() == 0, WAIT, "every text went out")

    for number, customer, order in ((SAM, "C002", "1005"), (LEO, "C004", "1009")):
        texts = shop.texts_to(number)
        assert sum("Reply YES to confirm" in body for body in texts) == 1
        assert sum(f"Refunded $20.00 for order {order}" in body for body in texts) == 1
        assert len(shop.executions_for(customer)) == 1 and len(shop.ran(customer)) == 1
        assert len(shop.events(customer, "executed")) == 1
        said = [e["text"] for e in tracker(shop, customer) if e["event"] == "user"]
        assert said[-2:] == [f"refund $20 for order {order}", "YES"]
    assert len(shop.events("C004", "answer_repeated")) == 1  # the second run of his YES told, not ran


def tracker(shop: Shop, customer_id: str) -> List[Dict[str, Any]]:
    """The conversation's events as Rasa has them (read from its tracker store after a restart)."""
    url = f"{shop.stack.rasa_url}/conversations/customer-{customer_id}/tracker?token={shop.stack.api_token}"
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


# -- Twilio -----------------------------------------------------------------------------------


def test_twilio_failing_then_hanging_gets_alis_reply_to_priya_once_and_failing_for_good_shows_him(shop: Shop) -> None:
    shop.texts(PRIYA, "I want to talk to a person")
    shop.waits_for(PRIYA, "specialist")
    store = InboxStore(shop.engine)
    ticket = store.latest_ticket("customer-C003")
    assert ticket is not None
    ali = Inbox(shop.stack.inbox_url, None, shop.engine, shop.stack.data_dir).sign_in("ali")  # type: ignore[arg-type]
    assert ali.post(f"/api/tickets/{ticket.id}/claim", {"version": ticket.version}).status_code == 200
    eventually(lambda: shop.deliveries_waiting() == 0, WAIT, "Priya was told Ali joined")

    shop.twilio.fail_next(status=500)  # Twilio's error, then a request it takes but never answers in time
    shop.twilio.stall_next(seconds=11)  # longer than the 10 s the worker waits
    assert ali.post(f"/api/tickets/{ticket.id}/reply", {"text": "Priya, I've found your parcel."}).status_code == 200
    eventually(lambda: shop.deliveries_waiting() == 0, WAIT, "the reply went out in the end")
    assert sum("I've found your parcel" in body for body in shop.texts_to(PRIYA)) == 1  # adopted, never sent twice
    tries = [r for r in shop.twilio.requests if r.method == "POST" and r.path.endswith("/Messages.json")
             and "found your parcel" in r.form.get("Body", "")]
    assert len(tries) == 2  # the 500 and the one it hung on; the third try found it already sent
    [reply] = [m for m in ali.ticket(ticket.id)["messages"] if "found your parcel" in m["text"]]
    assert (reply["delivery"], reply["error"]) == ("sent", None)

    shop.twilio.fail_next(status=500, times=5)  # every try of the next reply
    assert ali.post(f"/api/tickets/{ticket.id}/reply", {"text": "It ships today."}).status_code == 200

    def shown_failed() -> bool:
        return any(m["text"].endswith("It ships today.") and m["delivery"] == "failed"
                   for m in ali.ticket(ticket.id)["messages"])

    eventually(shown_failed, WAIT, "Ali sees his reply was not delivered")
    [failed] = [m for m in ali.ticket(ticket.id)["messages"] if m["text"].endswith("It ships today.")]
    assert "500" in (failed["error"] or "")
    assert not any("It ships today" in body for body in shop.texts_to(PRIYA))
