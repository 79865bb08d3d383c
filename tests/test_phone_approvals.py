"""Managers approving from their phone: a notice by SMS or WhatsApp, a reply with its code.

The real assistant and the real inbox on one SQLite database (``Floor``), the demo people:
Sofia (senior), Maria and David (managers), Ali (agent). A reply from a person's phone is put in
the inbound queue exactly as the SMS and WhatsApp webhooks keep it (``staff-<username>``) and
taken by ``PhoneApprovals``; what they are texted is read from the delivery queue, or, with the
real delivery worker, from the fake Twilio.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Iterator, List

import aiohttp
import pytest
import yaml
from sqlmodel import Session, select

from actions.domain.inbound import InboundMessage
from actions.domain.policy import PhoneApprovalRules, RiskPolicy, parse_policy
from actions.domain.sessions import customer_key, staff_key
from actions.settings import PROJECT_ROOT
from actions.sms import TwilioMessages
from actions.store.channel_addresses import SqlChannelAddresses
from actions.store.inbound import SqlInboundQueue
from actions.store.tables import DeliveryRow
from devtools.fake_twilio import FakeTwilio
from handoff.customer_channels import CustomerChannels
from handoff.delivery import DeliveryWorker
from handoff.domain.phone_approvals import issue
from handoff.phone_approvals import PhoneApprovals
from handoff.phone_channel import SMS, WHATSAPP, PhoneChannel, PhoneLine
from handoff.phone_codes import PhoneProfile, SqlPhoneCodes
from handoff.rasa_client import RasaConversations
from handoff.tables import ApprovalPhoneCodeRow
from tests.support.floor import Floor, jane_asks_for, open_floor
from tests.support.world import JANE
from tests.test_inbox_delivery import RasaRecording, fake_rasa

PHONE = {"maria": "+15550100101", "david": "+15550100102", "sofia": "+15550100103", "ali": "+15550100104"}
SHOP, WHATSAPP_SHOP = "+15005550006", "whatsapp:+15005550006"
CODE = re.compile(r"APPROVE (\d{6})")
KAI = customer_key("C004")  # the laptop's buyer
messages = count(1)


def policy_with(**approvals: object) -> RiskPolicy:
    raw = yaml.safe_load((PROJECT_ROOT / "bot" / "risk_policy.yml").read_text(encoding="utf-8"))
    raw["approvals"].update(approvals)
    return parse_policy(raw, source="phone approvals")


def phones(floor: Floor) -> PhoneApprovals:
    engine = floor.store.engine
    return PhoneApprovals(floor.desk, SqlPhoneCodes(engine), SqlInboundQueue(engine))


def on_duty(floor: Floor, *usernames: str, by: str = SMS) -> None:
    for username in usernames:
        assert SqlPhoneCodes(floor.store.engine).set_profile(username, PhoneProfile(PHONE[username], by, True))


def texted(floor: Floor, username: str) -> List[str]:
    """What waits to be texted to ``username``, oldest first (and counts as sent)."""
    now = floor.world.clock.now()
    due = [d for d in floor.store.due_deliveries(now) if d.conversation_id == staff_key(username)]
    for item in due:
        floor.store.delivery_done(item, "sent", None, now, payload={"text": "[sent]"})
    return [str(d.payload["text"]) for d in due] + (texted(floor, username) if due else [])


def code_for(floor: Floor, username: str) -> str:
    [notice] = texted(floor, username)
    found = CODE.search(notice)
    assert found, notice
    return found.group(1)


def replies(floor: Floor, username: str, text: str, channel: str = SMS) -> str:
    """``username`` texts ``text`` from the phone on their profile; what they are texted back."""
    SqlInboundQueue(floor.store.engine).accept(InboundMessage(
        f"SM{next(messages):032x}", channel, PHONE[username], staff_key(username), text, floor.world.clock.now()))
    phones(floor).answer_waiting()
    [answer] = texted(floor, username)
    return answer


def code_rows(floor: Floor) -> List[ApprovalPhoneCodeRow]:
    with Session(floor.store.engine) as session:
        return list(session.exec(select(ApprovalPhoneCodeRow).order_by(ApprovalPhoneCodeRow.username)))


@pytest.fixture
def strict_floor(tmp_path: Path) -> Iterator[Floor]:
    """Seniors may approve up to $500 only; one notice an hour per person."""
    yield from open_floor(tmp_path, policy_with(limits={"agent": 100, "senior": 500, "manager": 10000},
                                                phone={"notices_per_hour": 1}))


def test_a_notice_says_what_why_and_how_to_answer_and_only_deciders_on_duty_get_it(floor: Floor) -> None:
    on_duty(floor, "maria", "sofia", "ali")  # David is not on duty
    request = jane_asks_for(floor, "700")

    assert phones(floor).notify() == 2
    [notice] = texted(floor, "maria")
    assert notice.startswith(f"Acme approval {request.ref}, $700.00: Jane Doe: Refund $700.00 to the customer's ")
    assert "Why you: more than the bot may refund on its own ($700.00 is above $500.00)" in notice
    assert re.search(r"Reply APPROVE (\d{6}) or REJECT \1 <reason> \(valid 30 minutes\)\.$", notice)
    assert len(texted(floor, "sofia")) == 1  # a senior's $1,000 limit covers it
    assert texted(floor, "ali") == [] and texted(floor, "david") == []  # an agent works no approvals
    assert phones(floor).notify() == 0  # once per request and person


def test_a_manager_approves_a_700_refund_by_sms_reply_and_it_runs_once(floor: Floor) -> None:
    on_duty(floor, "maria", "david")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()
    code = code_for(floor, "maria")

    assert replies(floor, "maria", f"approve {code}") == f"Request {request.ref} approved. Refunded $700.00 " \
        "for order 1003 to your Visa ending 4242. It will show in 3-5 working days."
    assert floor.executed() == [("refund", 700_00)]
    [approved] = floor.audit("approval_approved")
    assert (approved.actor, approved.detail["via"]) == ("manager:maria", "phone")
    assert floor.decided(request.id).version == request.version + 1  # the inbox shows it decided

    assert replies(floor, "maria", f"APPROVE {code}") == \
        f"Request {request.ref} is already approved by maria: nothing was changed."
    assert replies(floor, "david", f"APPROVE {code_for(floor, 'david')}") == \
        f"Request {request.ref} is already approved by maria: nothing was changed."
    assert floor.executed() == [("refund", 700_00)]


def test_a_wrong_code_decides_nothing_and_the_last_wrong_try_stops_the_codes(floor: Floor) -> None:
    on_duty(floor, "maria", "david")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()
    code, davids = code_for(floor, "maria"), code_for(floor, "david")
    wrong = "000000" if code != "000000" else "111111"

    assert replies(floor, "maria", f"APPROVE {wrong}") == \
        "That code doesn't match any request texted to you: nothing was decided. 2 tries left."
    assert replies(floor, "maria", f"APPROVE {davids}") == \
        "That code doesn't match any request texted to you: nothing was decided. 1 try left."  # David's is his
    assert replies(floor, "maria", f"REJECT {wrong} no") == \
        "Wrong code, and that was the last try: the codes texted to you no longer work. Decide in the inbox."
    assert replies(floor, "maria", f"APPROVE {code}").startswith("That code no longer works")
    assert floor.decided(request.id).status == "pending" and floor.executed() == []


def test_a_code_reused_after_a_decision_in_the_inbox_is_refused(floor: Floor) -> None:
    on_duty(floor, "maria")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()
    code = code_for(floor, "maria")

    floor.desk.approve(floor.person("david"), request.id, request.version)

    assert [row.status for row in code_rows(floor)] == ["void"]  # voided with the decision
    assert replies(floor, "maria", f"APPROVE {code}") == \
        f"Request {request.ref} is already approved by david: nothing was changed."
    assert floor.executed() == [("refund", 700_00)]


def test_the_requester_gets_no_notice_and_cannot_be_the_approver_of_their_own_request(floor: Floor) -> None:
    on_duty(floor, "maria", "david")
    floor.world.say(JANE, "I'd like a refund of $700 for order 1003", "request_refund")
    floor.world.say(JANE, "Can I talk to a person about this?", "request_human")
    ticket = floor.ticket()
    maria = floor.person("maria")
    floor.desk.claim(maria, ticket.id, ticket.version)
    floor.desk.request_approval(maria, ticket.id, 2, "machine faulty")
    request = floor.approval()

    phones(floor).notify()
    assert texted(floor, "maria") == [] and len(texted(floor, "david")) == 1

    # a code that reached her anyway (she was texted before she raised it) still decides nothing
    codes = phones(floor)
    mine, digits = issue(codes.step_up, request, "maria", floor.world.services.policy.approvals, floor.world.clock.now())
    codes.codes.add(mine)
    assert replies(floor, "maria", f"APPROVE {digits}") == (
        f"Not done: you can't decide request {request.ref}: you raised this request: someone else must approve "
        "it (four eyes).")
    assert floor.decided(request.id).status == "pending" and floor.executed() == []
    [refused] = floor.audit("approval_refused")
    assert refused.detail["via"] == "phone"


def test_a_senior_below_the_amount_gets_no_notice_and_cannot_approve_by_phone(strict_floor: Floor) -> None:
    floor = strict_floor
    on_duty(floor, "sofia", "david")
    request = jane_asks_for(floor, "700")

    phones(floor).notify()
    assert texted(floor, "sofia") == [] and len(texted(floor, "david")) == 1

    codes = phones(floor)
    hers, digits = issue(codes.step_up, request, "sofia", floor.world.services.policy.approvals, floor.world.clock.now())
    codes.codes.add(hers)
    assert replies(floor, "sofia", f"APPROVE {digits}") == \
        f"Not done: request {request.ref} is in the manager approvals, which a senior can't see."
    assert floor.executed() == []


def test_a_reject_by_phone_asks_for_the_reason_and_the_customer_hears_it(floor: Floor) -> None:
    on_duty(floor, "maria", "david")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()
    code = code_for(floor, "maria")

    assert replies(floor, "maria", f"REJECT {code}") == (
        f"Why are you rejecting request {request.ref}? Reply with the reason within 5 minutes: the customer is told it.")
    floor.world.clock.advance(minutes=2)
    assert replies(floor, "maria", "The machine was used for months") == \
        f"Request {request.ref} rejected. The customer is told: The machine was used for months"

    decided = floor.decided(request.id)
    assert (decided.status, decided.decided_by, decided.decision_reason) == \
        ("rejected", "maria", "The machine was used for months")
    told, _ = floor.approvals_told()
    assert any("The machine was used for months" in line for line in told)
    assert floor.executed() == []
    assert replies(floor, "maria", "hello?") == \
        "To decide a request texted to you, reply APPROVE <code> or REJECT <code> <reason>."


def test_a_reason_sent_too_late_is_not_taken_and_unknown_texts_get_help(floor: Floor) -> None:
    on_duty(floor, "maria")
    jane_asks_for(floor, "700")
    phones(floor).notify()
    replies(floor, "maria", f"reject {code_for(floor, 'maria')}")
    floor.world.clock.advance(minutes=6)

    assert replies(floor, "maria", "changed my mind") == \
        "To decide a request texted to you, reply APPROVE <code> or REJECT <code> <reason>."
    assert replies(floor, "maria", "APPROVE") == "Put the code from the notice after APPROVE. " \
        "To decide a request texted to you, reply APPROVE <code> or REJECT <code> <reason>."
    assert floor.approval().status == "pending"


def test_notices_are_throttled_per_person_and_the_inbox_still_shows_every_request(strict_floor: Floor) -> None:
    floor = strict_floor
    on_duty(floor, "maria")
    jane_asks_for(floor, "700")
    phones(floor).notify()
    assert floor.world.say(KAI, "I'd like a refund of $600 for order 1009", "request_refund")
    assert floor.world.say(KAI, "yes", "affirm").startswith("I've sent it to ")

    assert phones(floor).notify() == 0
    assert len(texted(floor, "maria")) == 1
    assert sorted(row.status for row in code_rows(floor)) == ["active", "throttled"]
    assert len(floor.store.approvals(pending=True)) == 2
    floor.world.clock.advance(hours=2)
    assert phones(floor).notify() == 0  # a throttled request is not texted later either


@pytest.fixture
def two_manager_floor(tmp_path: Path) -> Iterator[Floor]:
    """Above $600 two managers must approve."""
    yield from open_floor(tmp_path, policy_with(limits={"agent": 100, "senior": 300, "manager": 600}))


def test_a_two_manager_request_notifies_each_manager_and_needs_both(two_manager_floor: Floor) -> None:
    floor = two_manager_floor
    on_duty(floor, "maria", "david", "sofia")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()
    assert texted(floor, "sofia") == []
    marias, davids = code_for(floor, "maria"), code_for(floor, "david")

    assert replies(floor, "maria", f"APPROVE {marias}") == \
        f"Your approval of request {request.ref} is recorded: a second manager must approve too."
    assert floor.executed() == []
    assert replies(floor, "david", f"APPROVE {davids}").startswith(f"Request {request.ref} approved.")
    assert floor.executed() == [("refund", 700_00)]


# -- through the delivery worker and the fake Twilio ------------------------------------------------


def worker_rounds(floor: Floor, fake: FakeTwilio, times: int = 1) -> None:
    store, clock = floor.store, floor.world.clock
    messages_api = TwilioMessages(fake.account_sid, fake.auth_token, fake.base_url, timeout=2)
    addresses = SqlChannelAddresses(store.engine)
    lines = [PhoneLine(SMS, SHOP, "https://bot.example.com/webhooks/sms/status"),
             PhoneLine(WHATSAPP, WHATSAPP_SHOP, "https://bot.example.com/webhooks/whatsapp/status")]
    channels = {line.name: PhoneChannel(line, messages_api, store, addresses, floor.world.business, clock)
                for line in lines}

    async def scenario() -> None:
        async with fake_rasa(RasaRecording("rest")) as url, aiohttp.ClientSession() as client:
            rasa = RasaConversations(client, url, None, timeout=0.3)
            worker = DeliveryWorker(store, rasa, clock, channels=CustomerChannels.for_rasa(rasa, channels),
                                    addresses=addresses)
            for _ in range(times):
                await worker.deliver_due()

    asyncio.run(scenario())


def no_code_in_clear(floor: Floor, code: str) -> None:
    with Session(floor.store.engine) as session:
        rows = list(session.exec(select(DeliveryRow).where(DeliveryRow.conversation_id.startswith("staff-"))))
    assert rows and all(code not in row.payload_json for row in rows)
    assert all(json.loads(row.payload_json).get("text") != "" for row in rows)


def test_by_sms_through_twilio_the_notice_arrives_the_reply_decides_and_no_code_stays_in_clear(
        floor: Floor) -> None:
    with FakeTwilio(clock=floor.world.clock) as fake:
        on_duty(floor, "maria")
        request = jane_asks_for(floor, "700")
        phones(floor).notify()
        worker_rounds(floor, fake)

        [notice] = fake.messages
        assert notice["to"] == PHONE["maria"] and notice["from"] == SHOP
        code = CODE.search(notice["body"]).group(1)  # type: ignore[union-attr]
        no_code_in_clear(floor, code)

        SqlInboundQueue(floor.store.engine).accept(InboundMessage(
            "SM" + "a" * 32, SMS, PHONE["maria"], staff_key("maria"), f"APPROVE {code}", floor.world.clock.now()))
        phones(floor).answer_waiting()
        worker_rounds(floor, fake, times=2)

        assert fake.messages[-1]["body"].startswith(f"Request {request.ref} approved.")
        assert fake.messages[-1]["to"] == PHONE["maria"]
        assert floor.executed() == [("refund", 700_00)]
        no_code_in_clear(floor, code)


def test_by_whatsapp_the_notice_and_the_answer_go_by_whatsapp(floor: Floor) -> None:
    with FakeTwilio(clock=floor.world.clock) as fake:
        on_duty(floor, "david", by=WHATSAPP)
        # David wrote to us on WhatsApp this morning: WhatsApp lets us write freely for 24 hours
        SqlChannelAddresses(floor.store.engine).seen(WHATSAPP, PHONE["david"], staff_key("david"),
                                                     floor.world.clock.now() - timedelta(hours=3))
        request = jane_asks_for(floor, "700")
        phones(floor).notify()
        worker_rounds(floor, fake)

        [notice] = fake.messages
        assert (notice["to"], notice["from"]) == (f"whatsapp:{PHONE['david']}", WHATSAPP_SHOP)
        code = CODE.search(notice["body"]).group(1)  # type: ignore[union-attr]
        no_code_in_clear(floor, code)

        SqlInboundQueue(floor.store.engine).accept(InboundMessage(
            "SM" + "b" * 32, WHATSAPP, PHONE["david"], staff_key("david"), f"reject {code} outside policy",
            floor.world.clock.now()))
        phones(floor).answer_waiting()
        worker_rounds(floor, fake, times=2)

        assert fake.messages[-1]["to"] == f"whatsapp:{PHONE['david']}"
        assert fake.messages[-1]["body"] == f"Request {request.ref} rejected. The customer is told: outside policy"
        assert floor.decided(request.id).status == "rejected" and floor.executed() == []


def test_the_policy_reads_the_phone_rules_and_defaults_them() -> None:
    assert policy_with().approvals.phone == PhoneApprovalRules()
    rules = policy_with(phone={"notices_per_hour": 4, "code_valid_for": "10m"}).approvals.phone
    assert rules == replace(PhoneApprovalRules(), notices_per_hour=4, code_valid_for=timedelta(minutes=10))
    with pytest.raises(Exception, match="approvals.phone.max_attempts"):
        policy_with(phone={"max_attempts": 0})
