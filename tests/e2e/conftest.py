"""One running stack (Rasa server + action server) for all e2e tests.

The model comes from the shared ``trained_model`` fixture (``tests/support/model.py``):
trained once per test run if the training data changed, reused otherwise. The servers run
on free ports with their own data folder, so tests never touch a developer's ``var/``.
Tests talk to Rasa's REST channel and then look at the real SQLite files: the business
state, the audit log and the development SMS outbox (written by the inbox's delivery worker).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy import text

from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.audit import AuditEntry
from actions.domain.sessions import CUSTOMER_PREFIX, customer_key
from actions.store.database import make_engine
from actions.store.sql import SqlApprovalQueue, SqlAuditLog, SqlHandoffQueue
from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio
from tests.support.codes import latest_code
from tests.support.policies import policy_file
from tests.support.stacks import SHOP_NUMBER, new_stack, stack_on
from tests.support.waiting import eventually

#: Short enough for a test to wait it out; everything else is the shipped policy.
OTP_VALID_FOR = "8s"


class RunningAssistant:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        data = stack.data_dir
        self.business = SqlBusiness(stack.business_database_url)
        self.engine = engine = make_engine(stack.database_url)
        self.audit = SqlAuditLog(engine)
        self.handoffs = SqlHandoffQueue(engine)
        self.approvals = SqlApprovalQueue(engine)
        self.outbox = data / "dev_outbox.jsonl"

    def say(self, sender: str, text: str) -> str:
        return " ".join(self.stack.talk(sender, text))

    def last_code(self, phone: str) -> str:
        """The newest code texted to ``phone``, once the delivery worker has sent every code queued."""
        eventually(lambda: self._codes_waiting() == 0, 15, "the queued one-time codes were texted", interval=0.05)
        return latest_code(self.outbox, phone)

    def _codes_waiting(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM deliveries WHERE kind = 'code' AND status = 'pending'")).scalar_one()

    def conversation(self, sender: str) -> str:
        """The conversation the REST channel keys a sender by: the customer's one conversation."""
        if sender.startswith(CUSTOMER_PREFIX):
            return sender
        customer = self.business.find_customer_by_phone(sender)
        assert customer is not None, f"{sender} is no demo customer"
        return customer_key(customer.id)

    def entries(self, sender: str) -> List[AuditEntry]:
        return list(self.audit.entries(self.conversation(sender)))

    def events(self, sender: str) -> List[str]:
        return [entry.event for entry in self.entries(sender)]


@pytest.fixture(scope="session")
def assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAssistant]:
    data_dir = tmp_path_factory.mktemp("stack")
    policy_path = policy_file(data_dir, edit=lambda policy: policy["otp"].update(valid_for=OTP_VALID_FOR))
    stack = new_stack(data_dir, trained_model, env={"RISK_POLICY_PATH": str(policy_path)})
    stack.start()
    try:
        yield RunningAssistant(stack)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def phone_line() -> Iterator[FakeTwilio]:
    """The fake Twilio the calls' tests drive (``test_voice_calls``, ``test_voice_transfer``): one for the run."""
    with FakeTwilio(sms_number=SHOP_NUMBER, time_scale=0.05) as fake:
        yield fake


@pytest.fixture(scope="session")
def phone_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, phone_line: FakeTwilio) -> Iterator[Stack]:
    """The stack those tests call, on ``phone_line``: started once, since each start loads Rasa's model."""
    with stack_on(phone_line, tmp_path_factory.mktemp("phone-line-stack"), trained_model) as started:
        yield started
