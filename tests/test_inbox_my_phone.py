"""A person sets their own phone for approval notices and goes on or off duty, through the
running inbox's API (``/api/me/phone``): a new number is kept once the code texted to it (here,
to the development outbox) comes back (``/api/me/phone/confirm``); every bad input is a 4xx
that says what to send."""

from __future__ import annotations

import time
from typing import Iterator

import pytest
from sqlalchemy import text

from actions.sms import read_outbox
from handoff.demo_users import DEMO_PHONES
from handoff.domain.phone_proofs import PhoneProfile
from handoff.phone_codes import SqlPhoneCodes
from tests.support.inbox import Inbox, Person, running_inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("inbox")) as inbox:
        phones = SqlPhoneCodes(inbox.engine)
        for username in DEMO_PHONES:  # these stories begin before anyone set up a phone
            phones.set_profile(username, PhoneProfile(None, "sms", False))
        yield inbox


def texted_code(inbox: Inbox, phone: str) -> str:
    """The code in the text to ``phone``, once the delivery worker sent it."""
    outbox = inbox.data_dir / "dev_outbox.jsonl"
    for _ in range(100):
        bodies = [m["body"] for m in read_outbox(outbox) if m["to"] == phone]
        if bodies:
            return bodies[-1].split(" is your code")[0].rsplit(" ", 1)[-1]
        time.sleep(0.05)
    raise AssertionError(f"no code reached {phone}")


def proves(person: Person, code: str) -> dict:
    answer = person.post("/api/me/phone/confirm", {"code": code})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_maria_sets_her_phone_proves_it_goes_on_duty_and_off_again(inbox: Inbox) -> None:
    maria = inbox.sign_in("maria")
    assert maria.get("/api/me/phone").json() == {"phone": None, "notices_by": "sms", "on_duty": False,
                                                "pending": None, "refused": None, "available_by_phone": False,
                                                "calls_refused": None}

    answer = maria.post("/api/me/phone", {"phone": "+1 (555) 010-0101", "notices_by": "sms", "on_duty": True})
    assert answer.status_code == 200
    asked = answer.json()
    assert (asked["phone"], asked["on_duty"]) == (None, False)  # not hers until the code comes back
    assert {k: v for k, v in asked["pending"].items() if k != "expires_at"} == \
        {"phone": "+15550100101", "notices_by": "sms", "on_duty": True}

    proven = proves(maria, texted_code(inbox, "+15550100101"))
    assert (proven["phone"], proven["notices_by"], proven["on_duty"], proven["pending"]) == \
        ("+15550100101", "sms", True, None)
    assert maria.post("/api/me/phone", {"on_duty": False, "notices_by": "whatsapp"}).json()["on_duty"] is False
    assert maria.get("/api/me/phone").json()["phone"] == "+15550100101"


@pytest.mark.parametrize(("body", "says"), [
    ({"phone": "call me maybe"}, "is not a phone number: it has letters in it"),
    ({"phone": 5550100101}, "'phone' must be text"),
    ({"notices_by": "pigeon"}, "'notices_by' must be one of sms, whatsapp"),
    ({"on_duty": "yes"}, "'on_duty' must be true or false"),
    ({"phone": "", "on_duty": True}, "add your phone number before going on duty"),
])
def test_a_bad_setting_is_a_400_that_says_what_to_send(inbox: Inbox, body: dict, says: str) -> None:
    answer = inbox.sign_in("sofia").post("/api/me/phone", body)
    assert answer.status_code == 400 and says in answer.json()["error"]


def test_a_number_on_another_profile_is_refused(inbox: Inbox) -> None:
    david = inbox.sign_in("david")
    david.post("/api/me/phone", {"phone": "+15550100102"})
    proves(david, texted_code(inbox, "+15550100102"))

    answer = inbox.sign_in("sofia").post("/api/me/phone", {"phone": "+1 555 010 0102"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "+15550100102 is on another person's profile: each phone belongs to one person"


def test_a_customers_number_is_refused_with_a_409(inbox: Inbox) -> None:
    answer = inbox.sign_in("sofia").post("/api/me/phone", {"phone": "+15550100001"})  # Jane's
    assert answer.status_code == 409
    assert answer.json()["error"].startswith("+15550100001 is a customer's number on our records")


@pytest.mark.parametrize(("username", "body"), [
    ("ali", {"phone": "+15550100130", "on_duty": True}),  # an agent may keep a number for calls, not go on duty
    ("admin", {"phone": "+15550100130"}),  # an admin takes neither notices nor calls
])
def test_people_who_approve_nothing_by_phone_get_a_403_that_says_why(inbox: Inbox, username: str, body: dict) -> None:
    answer = inbox.sign_in(username).post("/api/me/phone", body)
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("you can't set a phone for approval notices: ")


@pytest.mark.parametrize(("body", "says"), [
    ({}, "'code' must be the code texted to your new number"),
    ({"code": 123456}, "'code' must be text"),
    ({"code": "123456"}, "no new number is waiting for a code"),
])
def test_a_bad_confirmation_is_a_400_that_says_what_to_send(inbox: Inbox, body: dict, says: str) -> None:
    answer = inbox.sign_in("david").post("/api/me/phone/confirm", body)
    assert answer.status_code == 400 and says in answer.json()["error"]


def test_changing_it_needs_the_csrf_token(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    assert ali.post("/api/me/phone", {"phone": "+15550100104"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert ali.get("/api/me/phone").json()["phone"] is None


# -- available by phone: customers' calls handed to people ring the proven number ------------------


def test_ali_an_agent_proves_his_number_and_takes_calls_then_stops(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    refused = ali.post("/api/me/phone/calls", {"available": True})
    assert refused.status_code == 400 and "add your phone number and type in the code" in refused.json()["error"]

    ali.post("/api/me/phone", {"phone": "+15550100140"})
    proves(ali, texted_code(inbox, "+15550100140"))
    taking = ali.post("/api/me/phone/calls", {"available": True})

    assert taking.status_code == 200, taking.text
    assert (taking.json()["available_by_phone"], taking.json()["on_duty"]) == (True, False)
    assert ali.get("/api/me/phone").json()["available_by_phone"] is True
    assert ali.post("/api/me/phone/calls", {"available": False}).json()["available_by_phone"] is False
    with inbox.engine.connect() as connection:
        events = [row[0] for row in connection.execute(text(
            "SELECT event FROM audit_log WHERE actor LIKE '%ali%' AND event LIKE '%available_by_phone' ORDER BY id"))]
    assert events == ["available_by_phone", "unavailable_by_phone"]


def test_removing_the_number_stops_the_calls_too(inbox: Inbox) -> None:
    sofia = inbox.sign_in("sofia")
    sofia.post("/api/me/phone", {"phone": "+15550100141"})
    proves(sofia, texted_code(inbox, "+15550100141"))
    assert sofia.post("/api/me/phone/calls", {"available": True}).json()["available_by_phone"] is True

    removed = sofia.post("/api/me/phone", {"phone": ""}).json()

    assert (removed["phone"], removed["available_by_phone"]) == (None, False)


def test_an_admin_may_not_take_calls_and_a_bad_body_is_a_400(inbox: Inbox) -> None:
    admin = inbox.sign_in("admin")
    answer = admin.post("/api/me/phone/calls", {"available": True})
    assert answer.status_code == 403
    assert answer.json()["error"] == "you can't take calls: admins handle no tickets, so they take no customer calls"
    assert admin.get("/api/me/phone").json()["calls_refused"].startswith("admins handle no tickets")
    bad = inbox.sign_in("david").post("/api/me/phone/calls", {"available": "yes"})
    assert bad.status_code == 400 and bad.json()["error"] == "'available' must be true or false"
