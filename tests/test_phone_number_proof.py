"""A person's number for approval notices is theirs only once proven, and their phone's texts are
read with care: the real assistant and the real inbox on one database (``Floor``), the demo people
Ali (agent), Sofia (senior), Maria and David (managers) and Alex (admin); Jane is a customer.

A new number is texted a code (through the delivery queue, by the channel chosen) and kept only
once the code is typed back; a customer's number and anyone who approves nothing are refused;
STOP from a manager's phone takes her off duty; a carrier keyword or one word is never a reason.
"""

from __future__ import annotations

import re
from typing import List

import pytest

from actions.domain.audit import AuditEntry
from actions.domain.inbound import InboundMessage
from actions.domain.sessions import staff_key
from actions.store.inbound import SqlInboundQueue
from devtools.fake_twilio import FakeTwilio
from handoff.domain.errors import Conflict, Forbidden, InboxError, TooSoon
from handoff.domain.phone_proofs import PhoneProfile
from handoff.my_phone import MyPhone
from handoff.phone_codes import SqlPhoneCodes
from handoff.phone_proofs import SqlPhoneProofs
from tests.support.floor import Floor, jane_asks_for
from tests.test_phone_approvals import PHONE, code_for, on_duty, phones, replies, texted, worker_rounds

TYPO = "+15550100110"  # Maria's number is +15550100101: two digits swapped
JANES_PHONE = "+15550100001"


def my_phone(floor: Floor) -> MyPhone:
    engine = floor.store.engine
    return MyPhone(floor.desk, SqlPhoneCodes(engine), SqlPhoneProofs(engine))


def asks_for(floor: Floor, username: str, phone: str, by: str = "sms", duty: bool = True) -> dict:
    """``username`` saves ``phone`` in the "My phone" panel."""
    return my_phone(floor).change(floor.person(username), PhoneProfile(phone, by, duty))


def proof_code(floor: Floor, username: str, phone: str) -> str:
    """The code texted to ``phone`` for ``username``'s new number, read off the delivery queue."""
    now = floor.world.clock.now()
    [code] = [d for d in floor.store.due_deliveries(now)
              if d.conversation_id == staff_key(username) and d.payload.get("to") == phone]
    floor.store.delivery_done(code, "sent", None, now, payload={"text": "[sent]"})
    found = re.search(r"\b(\d{6})\b", str(code.payload["text"]))
    assert found, code.payload
    return found.group(1)


def audit_of(floor: Floor, username: str) -> List[AuditEntry]:
    return [entry for entry in floor.world.entries(staff_key(username)) if entry.event.startswith("phone_number")]


def test_a_typo_in_marias_number_sends_no_notice_there_until_she_proves_the_right_one(floor: Floor) -> None:
    seen = asks_for(floor, "maria", TYPO)

    assert (seen["phone"], seen["on_duty"]) == (None, False)  # nothing changes before the code comes back
    assert seen["pending"]["phone"] == TYPO and seen["pending"]["on_duty"] is True
    assert floor.store.user_by_phone(TYPO) is None  # the stranger's texts are not Maria's
    request = jane_asks_for(floor, "700")
    assert phones(floor).notify() == 0
    [code_text] = texted(floor, "maria")  # only the code to prove the number: no approval notice
    assert code_text.startswith("Acme inbox: ") and "approval notices on this phone" in code_text
    assert request.ref not in code_text

    floor.world.clock.advance(seconds=31)  # she sees her mistake: a new code may go after 30 seconds
    asks_for(floor, "maria", PHONE["maria"])
    with pytest.raises(InboxError, match="wrong code"):  # the stranger's code is no good for her number
        my_phone(floor).confirm(floor.person("maria"), re.search(r"\d{6}", code_text).group(0))  # type: ignore[union-attr]
    proven = my_phone(floor).confirm(floor.person("maria"), proof_code(floor, "maria", PHONE["maria"]))

    assert (proven["phone"], proven["on_duty"], proven["pending"]) == (PHONE["maria"], True, None)
    assert floor.store.user_by_phone(PHONE["maria"]).username == "maria"  # type: ignore[union-attr]
    assert phones(floor).notify() == 1
    assert texted(floor, "maria")[0].startswith(f"Acme approval {request.ref}")
    events = [(e.event, e.detail.get("phone")) for e in audit_of(floor, "maria")]
    assert events == [("phone_number_requested", "***0110"), ("phone_number_requested", "***0101"),
                      ("phone_number_code_failed", "***0101"), ("phone_number_confirmed", "***0101")]


def test_the_code_goes_by_twilio_to_the_new_number_never_to_the_old_one(floor: Floor) -> None:
    on_duty(floor, "maria")
    with FakeTwilio(clock=floor.world.clock) as fake:
        asks_for(floor, "maria", TYPO)
        worker_rounds(floor, fake)

        [code] = fake.messages
        assert code["to"] == TYPO and "approval notices on this phone" in code["body"]
    assert my_phone(floor).view(floor.person("maria"))["phone"] == PHONE["maria"]  # the old number stays


def test_jane_the_customers_number_is_refused_and_the_try_is_on_record(floor: Floor) -> None:
    with pytest.raises(Conflict, match=r"\+15550100001 is a customer's number on our records"):
        asks_for(floor, "maria", JANES_PHONE)

    assert floor.store.due_deliveries(floor.world.clock.now()) == []  # no code texted to Jane
    [refused] = audit_of(floor, "maria")
    assert (refused.event, refused.customer_id, refused.detail["phone"]) == ("phone_number_refused", "C001", "***0001")


def test_a_number_on_davids_profile_is_refused(floor: Floor) -> None:
    on_duty(floor, "david")
    with pytest.raises(Conflict, match="is on another person's profile"):
        asks_for(floor, "maria", PHONE["david"])


@pytest.mark.parametrize(("username", "why", "duty"), [
    # the policy gives agents a $100 limit and address changes, but only when they hand a ticket back;
    # an agent may keep a proven number to take customers' calls, without going on duty
    ("ali", "approval notices are for the people who decide in the approvals queue (seniors and managers): "
            "an agent signs off only when handing a ticket back, in the inbox", True),
    ("admin", "an admin approves nothing, so gets no approval notices", False),
])
def test_people_who_approve_nothing_by_phone_cannot_set_a_number(floor: Floor, username: str, why: str,
                                                                 duty: bool) -> None:
    with pytest.raises(Forbidden) as refused:
        asks_for(floor, username, "+15550100120", duty=duty)

    assert refused.value.message == f"you can't set a phone for approval notices: {why}"
    assert my_phone(floor).view(floor.person(username))["refused"] == why
    assert floor.store.due_deliveries(floor.world.clock.now()) == []


def test_a_wrong_code_has_three_tries_and_the_right_one_too_late_proves_nothing(floor: Floor) -> None:
    asks_for(floor, "sofia", PHONE["sofia"])
    code = proof_code(floor, "sofia", PHONE["sofia"])
    wrong = "000000" if code != "000000" else "111111"
    sofia, panel = floor.person("sofia"), my_phone(floor)

    with pytest.raises(InboxError, match="^wrong code: 2 tries left$"):
        panel.confirm(sofia, wrong)
    with pytest.raises(InboxError, match="^wrong code: 1 try left$"):
        panel.confirm(sofia, wrong)
    with pytest.raises(InboxError, match="that was the last try: save the number again for a new code"):
        panel.confirm(sofia, wrong)
    with pytest.raises(InboxError, match="that code no longer works"):
        panel.confirm(sofia, code)

    assert panel.view(sofia)["phone"] is None
    failed = [e for e in audit_of(floor, "sofia") if e.event == "phone_number_code_failed"]
    assert [e.detail["tries_left"] for e in failed] == [2, 1, 0]
    assert all(code not in str(e.detail) and wrong not in str(e.detail) for e in audit_of(floor, "sofia"))


def test_codes_for_new_numbers_are_throttled(floor: Floor) -> None:
    asks_for(floor, "maria", TYPO)
    with pytest.raises(TooSoon, match="wait 30 seconds"):
        asks_for(floor, "maria", PHONE["maria"])
    for _ in range(2):
        floor.world.clock.advance(seconds=31)
        asks_for(floor, "maria", PHONE["maria"])
    floor.world.clock.advance(seconds=31)
    with pytest.raises(TooSoon, match="no more codes for now"):
        asks_for(floor, "maria", PHONE["maria"])


def test_maria_texts_stop_she_goes_off_duty_and_her_notices_stop(floor: Floor) -> None:
    on_duty(floor, "maria", "david")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()

    SqlInboundQueue(floor.store.engine).accept(InboundMessage(
        "SM" + "5" * 32, "sms", PHONE["maria"], staff_key("maria"), "Stop", floor.world.clock.now()))
    phones(floor).answer_waiting()

    assert SqlPhoneCodes(floor.store.engine).profile("maria").on_duty is False
    [stopped] = [e for e in floor.world.entries(staff_key("maria")) if e.event == "approval_phone_stopped"]
    assert (stopped.actor, stopped.detail) == ("manager:maria", {"was_on_duty": True, "codes_voided": 1})
    with FakeTwilio(clock=floor.world.clock) as fake:
        worker_rounds(floor, fake, times=2)
        # her notice, queued before STOP, is not sent, and nothing answers STOP; David's goes
        assert [(m["to"], m["body"].startswith(f"Acme approval {request.ref},")) for m in fake.messages] == \
            [(PHONE["david"], True)]
    assert floor.decided(request.id).status == "pending"


def test_a_keyword_or_one_word_is_never_taken_as_the_reason_for_a_rejection(floor: Floor) -> None:
    on_duty(floor, "maria")
    request = jane_asks_for(floor, "700")
    phones(floor).notify()
    code = code_for(floor, "maria")
    ask_why = f"Why are you rejecting request {request.ref}?"

    assert replies(floor, "maria", f"REJECT {code} no").startswith(ask_why)
    assert replies(floor, "maria", "HELP") == \
        "To decide a request texted to you, reply APPROVE <code> or REJECT <code> <reason>."
    assert replies(floor, "maria", "ok") == (f"Give the reason for rejecting request {request.ref} in a few words "
                                             "(the customer is told it), or decide it in the inbox.")
    assert replies(floor, "maria", "START").startswith("To get approval notices again, go on duty in the inbox")
    assert floor.decided(request.id).status == "pending"

    assert replies(floor, "maria", "Used for months") == \
        f"Request {request.ref} rejected. The customer is told: Used for months"

