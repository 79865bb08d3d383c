"""The demo data reaches every rule, and a reset starts the demo again without losing the people.

The band scenarios run the real assistant on the seeded demo business (``make_world(sql=True)``)
and the real inbox (``Desk``) with the demo logins: a customer asks in the chat, says yes, and
the request lands in the queue of the least senior people who may decide it alone (Sofia up to
$1,000, Maria or David up to $10,000, Maria *and* David above). Nothing is added by hand: each
story uses an order the seed gives every fresh demo.

The reset scenarios run ``python -m bot.reset_demo``'s ``main`` on the same data directory
layout ``make run`` uses (``acme.db``, ``hitl.db``, ``rasa_tracker.db`` side by side).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from sqlalchemy import select

from actions.acme.models import CustomerRow, acme_tables
from actions.acme.seed import DEMO_CUSTOMERS, seed_demo
from actions.domain.sessions import customer_key
from actions.acme.sqlite_backend import SqlBusiness
from actions.store.schema import store_metadata
from bot import reset_demo
from handoff import auth, timers
from handoff.demo_users import DEMO_USERS, create_demo_users
from handoff.desk import Desk
from actions.domain.approval import Approval
from handoff.domain.errors import Forbidden
from handoff.domain.people import Role, User
from handoff.passwords import hash_password
from handoff.store import InboxStore
from tests.support.world import JANE, World, make_world

LEO = customer_key("C004")
BISTRO = customer_key("C005")
VISITOR = "visitor-" + "e" * 32  # a guest of the web chat


@dataclass
class Demo:
    """A fresh demo: the assistant's world and the inbox its demo people sign in to."""

    world: World
    desk: Desk
    data_dir: Path

    def person(self, username: str) -> User:
        found = self.desk.store.user(username)
        assert found is not None, f"no inbox user {username}"
        return found[0]

    def asks_and_confirms(self, who: str, message: str) -> Approval:
        """A customer asks for a refund the bot may not run alone, and says yes to sending it."""
        prompt = self.world.say(who, message, "request_refund")
        assert "Reply YES to send it for approval" in prompt, prompt
        assert self.world.say(who, "yes", "affirm").startswith("I've sent it to ")
        [waiting] = self.desk.store.approvals(pending=True)
        return waiting

    def executed(self) -> List[Tuple[str, str, int]]:
        """What the business ran: (kind, order, amount in cents)."""
        return [(row.kind, json.loads(row.params_json)["order_id"], json.loads(row.params_json)["amount_cents"])
                for row in self.world.executions()]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    world = make_world(tmp_path, sql=True)
    assert world.engine is not None
    store = InboxStore(world.engine)
    create_demo_users(store, world.clock.now())
    yield Demo(world, Desk(store, world.services), tmp_path)
    world.engine.dispose()
    world.business.dispose()


# -- the demo customers ---------------------------------------------------------------------------


def test_every_seeded_customer_can_be_picked_on_the_chat_page(demo: Demo) -> None:
    with demo.world.business.session() as session:
        seeded = {(row.name, row.phone) for row in session.scalars(select(CustomerRow))}
    assert {(c.name, c.phone) for c in DEMO_CUSTOMERS} == seeded
    assert ("Harbor Bistro Ltd", "+15550100005") in seeded and ("Leo Martin", "+15550100004") in seeded


# -- a refund in every band -----------------------------------------------------------------------


@pytest.mark.parametrize("message, amount, reason", [
    ("I'd like $60 back for order 1009", 60_00, "small_refund"),
    ("I'd like $300 back for order 1009", 300_00, "medium_refund_logged"),
])
def test_leo_confirms_a_refund_up_to_500_dollars_himself_and_it_runs_without_an_approver(
        demo: Demo, message: str, amount: int, reason: str) -> None:
    prompt = demo.world.say(LEO, message, "request_refund")
    assert prompt.startswith(f"Refund ${amount // 100}.00 to your Mastercard ending 4444 for order 1009 (Laptop), "
                             "delivered 8 days ago, within our 30-day returns window.")
    assert prompt.endswith("Reply YES to confirm or NO to cancel.")

    assert demo.world.say(LEO, "yes", "affirm").startswith(f"Refunded ${amount // 100}.00 for order 1009")

    assert demo.executed() == [("refund", "1009", amount)]
    assert demo.desk.store.approvals(pending=False) == []
    [decided] = [e for e in demo.world.entries(LEO) if e.event == "risk_decision"]
    assert (decided.outcome, decided.reasons[0].split(":")[0]) == ("confirm", reason)


def test_leos_899_dollar_laptop_refund_goes_to_the_seniors_and_sofia_approves_it_alone(demo: Demo) -> None:
    sofia = demo.person("sofia")
    request = demo.asks_and_confirms(LEO, "I want a refund for order 1009")

    assert (request.amount_cents, request.queue, request.customer_id) == (899_00, "senior", "C004")
    assert [item["id"] for item in demo.desk.approval_list(sofia, pending=True)] == [request.id]
    demo.desk.approve(sofia, request.id, request.version)

    assert demo.desk.store.approval(request.id).status == "approved"  # type: ignore[union-attr]
    assert demo.executed() == [("refund", "1009", 899_00)]
    told, status = demo.world.assistant.approvals_decided(demo.world.news(LEO))
    assert status == "approved"
    assert told[0] == ("Good news: your request was approved. Refunded $899.00 for order 1009 to your Mastercard "
                       "ending 4444. It will show in 3-5 working days.")


def test_leos_4150_dollar_home_gym_refund_is_past_sofias_limit_and_a_manager_approves_it(demo: Demo) -> None:
    sofia, maria = demo.person("sofia"), demo.person("maria")
    request = demo.asks_and_confirms(LEO, "I'd like a refund of $4,150 for order 1010")

    assert (request.amount_cents, request.queue) == (4_150_00, "manager")
    assert demo.desk.approval_list(sofia, pending=True) == []
    with pytest.raises(Forbidden, match="in the manager approvals, which a senior can't see"):
        demo.desk.approve(sofia, request.id, request.version)
    demo.desk.approve(maria, request.id, request.version)

    assert demo.desk.store.approval(request.id).status == "approved"  # type: ignore[union-attr]
    assert demo.executed() == [("refund", "1010", 4_150_00)]


def test_harbor_bistros_15000_dollar_refund_needs_two_different_managers(demo: Demo) -> None:
    maria, david = demo.person("maria"), demo.person("david")
    prompt = demo.world.say(BISTRO, "we need a refund of $15,000 for order 1011", "request_refund")
    assert prompt.startswith("Refund $15,000.00 to your Amex ending 1005 for order 1011 (Commercial espresso bar), "
                             "delivered 10 days ago, within our 30-day returns window.")
    demo.world.say(BISTRO, "yes", "affirm")
    [request] = demo.desk.store.approvals(pending=True)
    assert (request.amount_cents, request.queue, request.customer_id) == (15_000_00, "manager", "C005")

    demo.desk.approve(maria, request.id, 1)
    first = demo.desk.store.approval(request.id)
    assert first is not None and (first.status, first.approvers) == ("pending", ("maria",))
    assert demo.executed() == []
    demo.desk.approve(david, request.id, 2)

    done = demo.desk.store.approval(request.id)
    assert done is not None and (done.status, done.approvers) == ("approved", ("maria", "david"))
    assert demo.executed() == [("refund", "1011", 15_000_00)]


# -- a fresh start --------------------------------------------------------------------------------


def business_rows(business: SqlBusiness) -> Dict[str, List[tuple]]:
    """Every row of the demo business, table by table, as plain tuples."""
    with business.session() as session:
        return {table.name: sorted(tuple(row) for row in session.execute(select(table))) for table in acme_tables()}


def fresh_seed(tmp_path: Path, now: datetime) -> Dict[str, List[tuple]]:
    business = SqlBusiness(f"sqlite:///{tmp_path / 'fresh-acme.db'}")
    business.create_all()
    seed_demo(business, now.date())
    try:
        return business_rows(business)
    finally:
        business.dispose()


def a_chat_in_rasa(tracker_db: Path, *senders: str) -> None:
    """Conversations saved by Rasa's own SQL tracker store, as ``make run`` keeps them."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))
    for sender in senders:
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, [UserUttered("hi"), BotUttered("Hi!")])))


def rasa_conversations(tracker_db: Path) -> List[str]:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return list(asyncio.run(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db)).keys()))


def timer_jobs(demo: Demo) -> List[str]:
    """Start the inbox's scheduler paused, as the inbox does at start, and list its jobs."""
    async def started() -> List[str]:
        scheduler = timers.make_scheduler(str(demo.world.engine.url))  # type: ignore[union-attr]
        scheduler.start(paused=True)
        try:
            timers.Timers(scheduler, demo.desk).reconcile()
            return sorted(job.id for job in scheduler.get_jobs())
        finally:
            scheduler.shutdown(wait=False)

    return asyncio.run(started())


def reset(demo: Demo, *args: str, **env: str) -> int:
    """The command as ``make reset-demo`` runs it, on this demo's data directory, at the world's time."""
    environment = {"HITL_DATA_DIR": str(demo.data_dir), "RASA_TRACKER_DB": str(demo.data_dir / "rasa_tracker.db"),
                   **env}
    return reset_demo.main(list(args), environment, now=demo.world.clock.now)


def test_a_reset_brings_back_the_seed_and_forgets_every_conversation_but_keeps_logins_and_the_audit_log(
        demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    world, store = demo.world, demo.desk.store
    world.say(JANE, "I want a refund for order 1001", "request_refund")
    world.say(JANE, "yes", "affirm")  # her headphones refunded: the business changed
    demo.asks_and_confirms(LEO, "I want a refund for order 1009")  # an approval waiting
    world.say(BISTRO, "I want to talk to a person", "request_human")  # a ticket waiting
    world.say(JANE, "please send order 1002 to 5 New Road, Springfield", "change_address")  # a yes pending
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    world.say(VISITOR, world.last_code(JANE), "provide_otp")  # a guest chat signed in to Jane's account
    assert world.services.links.linked(VISITOR) is not None
    store.add_user(User("carol", "Carol Diaz", Role.SENIOR), hash_password("carol-long-passphrase"), world.clock.now())
    signed_in = auth.log_in(store, "carol", "carol-long-passphrase", world.clock.now())
    assert signed_in is not None
    a_chat_in_rasa(demo.data_dir / "rasa_tracker.db", JANE, LEO)
    assert timer_jobs(demo) == sorted([f"approval:{store.approvals(pending=True)[0].id}",
                                       f"ticket:{store.latest_ticket(BISTRO).id}", "resume-unfinished"])  # type: ignore[union-attr]
    audit_before = list(world.services.audit.entries())
    assert business_rows(world.business) != fresh_seed(demo.data_dir, world.clock.now())

    assert reset(demo, "--yes-this-is-a-demo") == 0

    assert business_rows(world.business) == fresh_seed(demo.data_dir, world.clock.now())
    assert store.approvals(pending=False) == [] and store.latest_ticket(BISTRO) is None
    assert world.services.pendings.awaiting_customer(JANE) is None
    assert world.services.links.linked(VISITOR) is None  # its chat is gone from Rasa, and so is its link
    assert rasa_conversations(demo.data_dir / "rasa_tracker.db") == []
    assert timer_jobs(demo) == ["resume-unfinished"]
    assert sorted(user.username for user in store.users()) == sorted([u for u, *_ in DEMO_USERS] + ["carol"])
    assert store.session(auth.token_hash(signed_in[1]), world.clock.now()) is not None  # Carol stays signed in
    audit_after = list(world.services.audit.entries())
    assert audit_after[:-1] == audit_before
    reset_entry = audit_after[-1]
    assert (reset_entry.event, reset_entry.actor, reset_entry.conversation_id) == ("demo_reset", "system", "-")
    assert reset_entry.detail["conversations"] == 2
    assert reset_entry.detail["cleared"]["approval_requests"] == 1
    assert reset_entry.detail["cleared"]["handoff_requests"] == 1
    printed = capsys.readouterr().out
    assert "The demo business is back to its first state" in printed
    assert f"audit log's {len(audit_before)} entries" in printed

    # the demo's stories work again: Jane's headphones can be refunded once more
    assert world.say(JANE, "I want a refund for order 1001", "request_refund").startswith(
        "Refund $42.50 to your Visa ending 4242 for order 1001")


@pytest.mark.parametrize("args, env, why", [
    ((), {"HITL_DEMO": ""}, "Not reset: this isn't the demo (HITL_DEMO is not set)"),
    (("--yes-this-is-a-demo",), {"ACME_BACKEND": "http", "ACME_BACKEND_URL": "http://127.0.0.1:9"},
     "Not reset: ACME_BACKEND=http is a real business's API"),
])
def test_a_reset_outside_the_demo_is_refused_and_changes_nothing(
        demo: Demo, capsys: pytest.CaptureFixture[str], args: Tuple[str, ...], env: Dict[str, str], why: str) -> None:
    demo.world.say(JANE, "I want a refund for order 1001", "request_refund")
    demo.world.say(JANE, "yes", "affirm")
    before = business_rows(demo.world.business), list(demo.world.services.audit.entries())

    assert reset(demo, *args, **env) == 1

    assert capsys.readouterr().err.startswith(why)
    assert (business_rows(demo.world.business), list(demo.world.services.audit.entries())) == before


def test_with_hitl_demo_set_the_reset_needs_no_flag(demo: Demo) -> None:
    assert reset(demo, HITL_DEMO="1") == 0
    assert demo.world.services.audit.entries()[-1].event == "demo_reset"


def test_every_table_of_the_assistants_database_is_either_cleared_or_kept_by_a_reset() -> None:
    assert not set(reset_demo.CLEARED) & set(reset_demo.KEPT)
    assert set(store_metadata().tables) == set(reset_demo.CLEARED) | set(reset_demo.KEPT)
