"""SMS and WhatsApp end to end: the real Rasa server, action server and inbox, and the fake Twilio.

The customers text from the demo phone's API (``/phone/send``), exactly what a person does on
the phone page: the fake Twilio posts a signed webhook to Rasa, and everything the bot and the
people send comes back through the fake's Messages API, where the phone reads it. One customer
is one conversation on every channel.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
from sqlmodel import select

from actions.acme.models import ExecutionRow
from actions.acme.sqlite_backend import SqlBusiness
from actions.store.database import make_engine
from bot.stack import Stack
from handoff.store import InboxStore
from tests.support.inbox import Inbox
from tests.support.stacks import running_stack
from tests.support.trackers import assert_sealed_in_tracker
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

JANE, SAM = "+15550100001", "+15550100002"
WAIT = 60  # seconds for a turn and its reply to cross every process (generous: CI shares 2 cores)


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("phone-stack"), trained_model, fake_twilio=True) as started:
        yield started


class Phone:
    """A customer's phone on the demo phone page."""

    def __init__(self, stack: Stack, number: str) -> None:
        self.url = str(stack.fake_twilio_url)
        self.number = number

    def text(self, channel: str, body: str) -> Dict[str, Any]:
        answer = requests.post(f"{self.url}/phone/send", json={"number": self.number, "channel": channel, "body": body},
                               timeout=30)
        assert answer.status_code == 200, answer.text
        message = answer.json()["message"]
        assert "200" in str(message["webhook"]), message  # the bot's server took it
        return message

    def received(self, channel: str) -> List[str]:
        """What reached this phone on ``channel``, oldest first."""
        answer = requests.get(f"{self.url}/phone/messages", params={"number": self.number}, timeout=10)
        return [m["body"] for m in answer.json()["messages"] if not m["from_phone"] and m["channel"] == channel]

    def waits_for(self, channel: str, words: str) -> str:
        found: List[str] = []

        def arrived() -> bool:
            found[:] = [body for body in self.received(channel) if words in body]
            return bool(found)

        eventually(arrived, WAIT, f"{words!r} reached {self.number} by {channel}")
        return found[-1]


def test_a_cancellation_asked_on_whatsapp_is_confirmed_with_a_code_texted_by_sms_runs_once_and_rasa_keeps_no_code(stack: Stack) -> None:
    sam = Phone(stack, SAM)

    sam.text("whatsapp", "please cancel my subscription")

    sam.waits_for("whatsapp", "I've sent a 6-digit code to your phone ending 0002")
    code_text = sam.waits_for("sms", "Acme security code")
    code = re.search(r"\b(\d{6})\b", code_text).group(1)  # type: ignore[union-attr]
    assert not any("security code" in body for body in sam.received("whatsapp"))  # codes go by SMS only

    sam.text("sms", code)
    sam.waits_for("sms", "cancelled")
    business = SqlBusiness(stack.business_database_url)
    assert business.subscriptions("C002")[0].status == "cancelled"
    assert_sealed_in_tracker(stack, "customer-C002", code)  # it answered the prompt: Rasa never had it

    replies = len(sam.received("sms"))
    sam.text("sms", code)  # the same code again runs nothing: he is told what it did
    eventually(lambda: len(sam.received("sms")) > replies, WAIT, "the bot answered the code sent again")
    assert sam.received("sms")[-1].startswith("About your earlier request: Your Snack Box weekly subscription is cancelled")
    with business.session() as session:  # what the business ran: once
        assert [row.kind for row in session.exec(select(ExecutionRow))].count("cancel_subscription") == 1


def test_a_customer_handed_to_a_person_on_sms_answers_on_whatsapp_and_gets_the_bot_back(stack: Stack) -> None:
    jane = Phone(stack, JANE)
    engine = make_engine(stack.database_url)
    store = InboxStore(engine)

    jane.text("sms", "I want to talk to a person")
    jane.waits_for("sms", "specialist")
    jane.waits_for("sms", "in the queue")  # where she stands, as in the web chat
    ticket = store.latest_ticket("customer-C001")
    assert ticket is not None and ticket.status == "open"

    ali = Inbox(stack.inbox_url, None, engine, stack.data_dir).sign_in("ali")  # type: ignore[arg-type]
    assert ali.post(f"/api/tickets/{ticket.id}/claim", {"version": ticket.version}).status_code == 200
    assert ali.post(f"/api/tickets/{ticket.id}/reply", {"text": "Hi Jane, Ali here. How can I help?"}).status_code == 200
    jane.waits_for("sms", "Ali from Acme customer care: Hi Jane, Ali here. How can I help?")

    jane.text("whatsapp", "my order 1002 is late")
    eventually(lambda: any(m.text == "my order 1002 is late" and m.channel == "whatsapp"
                           for m in store.messages(ticket.id)), WAIT, "her WhatsApp answer reached the same ticket")
    assert not any("1002" in body for body in jane.received("whatsapp"))  # the bot stayed silent

    claimed = store.ticket(ticket.id)
    assert claimed is not None
    answer = ali.post(f"/api/tickets/{ticket.id}/handback",
                      {"version": claimed.version, "outcome": "resolved", "note": "sorted"})
    assert answer.status_code == 200, answer.text
    jane.waits_for("whatsapp", "finished helping you")  # where she wrote last

    jane.text("sms", "where is my order 1002?")
    jane.waits_for("sms", "Order 1002")
