"""The inbox process dies while a ticket waits: nothing is lost and its timers fire once.

A real stack with a policy whose claim deadline is seconds, not an hour. The inbox is killed
with SIGKILL (no clean shutdown) while the customer keeps writing: before it dies, while it is
gone and while it starts again. The claim deadline passes meanwhile. The persisted timer and
every message, once each and in order, must be there, and the escalation must happen exactly once.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy import text

from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog
from bot.stack import Stack, free_port
from handoff.store import InboxStore
from tests.support.inbox import Inbox
from tests.support.policies import policy_file
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

SAM = "+15550100002"  # how the REST caller names Sam
SAMS_CONVERSATION = "customer-C002"  # how the channel keys his conversation
CLAIM_WITHIN_SECONDS = 6
WAIT = 60  # seconds for every message to have gone through (CI shares 2 cores)
#: What Sam writes while the inbox dies, is down and comes back.
SAMS_LINES = ["hello? my parcel never arrived", "it was order 1004", "it was meant to come on Monday",
              "the tracking page has not changed in a week", "are you still there?", "ok, I'll wait for someone"]


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("fault-stack")

    def quick_sla(policy: dict) -> None:
        policy["inbox"]["sla"]["normal"] = {"claim": f"{CLAIM_WITHIN_SECONDS}s", "reply": "1h"}
        policy["inbox"]["escalate"] = {"agent": "senior"}  # then overdue in the senior queue, said once

    policy_file(data_dir, edit=quick_sla)
    stack = Stack(data_dir=data_dir, model=trained_model, rasa_port=free_port(), actions_port=free_port(),
                  inbox_port=free_port(), env={"RISK_POLICY_PATH": str(data_dir / "risk_policy.yml")}, quiet=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_the_inbox_killed_and_restarted_loses_no_message_and_escalates_once(stack: Stack) -> None:
    engine = make_engine(f"sqlite:///{stack.data_dir / 'hitl.db'}")
    store, audit = InboxStore(engine), SqlAuditLog(engine)

    def events(name: str) -> List[str]:
        return [e.event for e in audit.entries(SAMS_CONVERSATION) if e.event == name]

    def timer_jobs() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM apscheduler_jobs WHERE id LIKE 'ticket:%'")).scalar_one()

    assert "specialist" in " ".join(stack.talk(SAM, "I want to talk to a person"))
    ticket = store.latest_ticket(SAMS_CONVERSATION)
    assert ticket is not None and (ticket.queue, ticket.status) == ("agent", "open")
    eventually(lambda: timer_jobs() == 1, 10, "the inbox scheduled the ticket's claim timer")

    # Sam keeps writing, every 2 s, from before the inbox dies until after it is back
    answers: List[List[str]] = []

    def keep_writing() -> None:
        for line in SAMS_LINES:
            answers.append(stack.talk(SAM, line))
            time.sleep(2)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    time.sleep(0.5)  # his first message is on its way as the inbox dies
    stack.kill("inbox")
    time.sleep(CLAIM_WITHIN_SECONDS + 1)  # the claim deadline passes while the inbox is down
    assert events("ticket_escalated") == []

    stack.restart("inbox")
    writer.join(WAIT)
    assert answers == [[]] * len(SAMS_LINES)  # people have it: the bot stayed silent every time
    eventually(lambda: events("ticket_escalated") == ["ticket_escalated"], 15, "the missed timer fired after the restart")
    escalated = store.ticket(ticket.id)
    assert escalated is not None and (escalated.queue, escalated.status) == ("senior", "open")
    assert [m.text for m in store.messages(ticket.id) if m.kind == "customer"] == SAMS_LINES  # each once, in order
    sofia = Inbox(stack.inbox_url, None, engine, stack.data_dir).sign_in("sofia")  # type: ignore[arg-type]
    shown = [m["text"] for m in sofia.ticket(ticket.id)["messages"] if m["kind"] == "customer"]
    assert shown == SAMS_LINES  # what the restarted inbox shows the senior who picks it up

    # the senior queue's own deadline passes: flagged overdue once, and nothing fires twice
    eventually(lambda: events("sla_overdue") == ["sla_overdue"], CLAIM_WITHIN_SECONDS + 10, "overdue in the senior queue")
    time.sleep(3)
    assert events("ticket_escalated") == ["ticket_escalated"]
    assert events("sla_overdue") == ["sla_overdue"]
    assert timer_jobs() == 0  # nothing left to fire for this ticket
    engine.dispose()
