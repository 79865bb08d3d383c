"""A person sets their own phone for approval notices and goes on or off duty, through the
running inbox's API (``/api/me/phone``): a new number is kept once the code texted to it (here,
to the development outbox) comes back (``/api/me/phone/confirm``); every bad input is a 4xx
that says what to send."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from actions.sms import read_outbox
from tests.support.inbox import Inbox, Person, running_inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("inbox")) as inbox:
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
                                                "pending": None, "refused": None}

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


@pytest.mark.parametrize("username", ["ali", "admin"])
def test_people_who_approve_nothing_by_phone_get_a_403_that_says_why(inbox: Inbox, username: str) -> None:
    answer = inbox.sign_in(username).post("/api/me/phone", {"phone": "+15550100130"})
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
