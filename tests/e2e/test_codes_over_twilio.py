"""One-time codes through the whole stack, texted over Twilio's API (the fake Twilio on loopback).

The action server only queues a code; the inbox's delivery worker texts it. When Twilio
refuses the number, the worker gives up and has Rasa run ``action_code_not_sent``: the customer
is told in their conversation, the waiting cancellation is cancelled, and nothing changed.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Iterator, List

import pytest

from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.pending import Stage
from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog, SqlPendingStore
from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio
from tests.support.stacks import stack_on
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

JANE, SAM = "+15550100001", "+15550100002"
JANES_CONVERSATION, SAMS_CONVERSATION = "customer-C001", "customer-C002"


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> Iterator[Stack]:
    with stack_on(fake_twilio, tmp_path_factory.mktemp("twilio-stack"), trained_model) as started:
        yield started


def tracker_json(stack: Stack, conversation_id: str) -> str:
    url = f"{stack.rasa_url}/conversations/{conversation_id}/tracker?token={stack.api_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def bot_texts(stack: Stack, conversation_id: str) -> List[str]:
    events = json.loads(tracker_json(stack, conversation_id))["events"]
    return [e.get("text") or "" for e in events if e["event"] == "bot"]


def texts_to(fake_twilio: FakeTwilio, phone: str) -> List[str]:
    return [m["body"] for m in fake_twilio.messages if m["to"] == phone]


def test_a_code_texted_over_twilio_confirms_the_cancellation(stack: Stack, fake_twilio: FakeTwilio) -> None:
    prompt = " ".join(stack.talk(SAM, "please cancel my subscription"))
    assert "I've sent a 6-digit code to your phone ending 0002" in prompt

    eventually(lambda: texts_to(fake_twilio, SAM) != [], 10, "the delivery worker texted Sam's code")
    [text] = texts_to(fake_twilio, SAM)
    code = re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]

    assert "cancelled" in " ".join(stack.talk(SAM, code)).lower()
    business = SqlBusiness(f"sqlite:///{stack.data_dir / 'acme.db'}")
    assert business.subscriptions("C002")[0].status == "cancelled"

    assert stack.talk(SAM, f"my code is {code}") != []  # sent again once the step is over: answered, still sealed
    assert code not in tracker_json(stack, SAMS_CONVERSATION)
    assert business.subscriptions("C002")[0].status == "cancelled"


def test_when_twilio_refuses_the_number_the_customer_is_told_and_nothing_changes(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.refuse(JANE, code=21610)
    apology = "I couldn't send a security code to your phone ending 0001, so I haven't changed anything."

    prompt = " ".join(stack.talk(JANE, "please cancel my subscription"))
    assert "I've sent a 6-digit code to your phone ending 0001" in prompt

    eventually(lambda: any(t.startswith(apology) for t in bot_texts(stack, JANES_CONVERSATION)), 15,
               "the bot told Jane her code could not be sent")
    engine = make_engine(f"sqlite:///{stack.data_dir / 'hitl.db'}")
    failures = [e for e in SqlAuditLog(engine).entries(JANES_CONVERSATION) if e.event == "otp_delivery_failed"]
    assert len(failures) == 1 and "21610" in failures[0].detail["error"]
    assert SqlPendingStore(engine).get(failures[0].pending_id).stage is Stage.CANCELLED  # type: ignore[union-attr]
    assert texts_to(fake_twilio, JANE) == []
    business = SqlBusiness(f"sqlite:///{stack.data_dir / 'acme.db'}")
    assert business.subscriptions("C001")[0].status == "active"
