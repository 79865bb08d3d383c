"""A person sets their own phone for approval notices and goes on or off duty, through the
running inbox's API (``/api/me/phone``): every bad input is a 4xx that says what to send."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.inbox import Inbox, running_inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("inbox")) as inbox:
        yield inbox


def test_maria_sets_her_phone_goes_on_duty_and_off_again(inbox: Inbox) -> None:
    maria = inbox.sign_in("maria")
    assert maria.get("/api/me/phone").json() == {"phone": None, "notices_by": "sms", "on_duty": False}

    answer = maria.post("/api/me/phone", {"phone": "+1 (555) 010-0101", "notices_by": "whatsapp", "on_duty": True})
    assert answer.status_code == 200
    assert answer.json() == {"phone": "+15550100101", "notices_by": "whatsapp", "on_duty": True}
    assert maria.post("/api/me/phone", {"on_duty": False}).json() == \
        {"phone": "+15550100101", "notices_by": "whatsapp", "on_duty": False}
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
    inbox.sign_in("david").post("/api/me/phone", {"phone": "+15550100102"})
    answer = inbox.sign_in("admin").post("/api/me/phone", {"phone": "+1 555 010 0102"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "+15550100102 is on another person's profile: each phone belongs to one person"


def test_changing_it_needs_the_csrf_token(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    assert ali.post("/api/me/phone", {"phone": "+15550100104"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert ali.get("/api/me/phone").json()["phone"] is None
