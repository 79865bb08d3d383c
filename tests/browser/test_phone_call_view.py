"""A customer's call handed to people, watched live in the inbox in a real browser.

The whole stack runs against a fake Twilio in this test's own process (``FakeTwilio``), as the
end-to-end transfer tests do: the test plays Jane's call and Ali's phone itself (when it rings,
when he picks up, which key he presses). ``running_stack(fake_twilio=True)`` would start the fake
as a process of its own, whose phones the test could not pick up or press keys on.

Ali has the inbox open on Jane's ticket while his phone rings: the "Phone call" block says
"Ringing Ali", then "Connected with Ali" once he presses 1, with the caller's call SID and her
words on the ticket; he puts her on hold and takes her off it from the block's button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.phone_calls import PhoneCall
from handoff.demo_users import DEMO_PHONES
from tests.browser.screenshots import snap
from tests.support.inbox import PASSWORDS
from tests.support.stacks import running_stack

pytestmark = pytest.mark.e2e

SHOP_NUMBER = "+15005550006"
JANE, ALI = "+15550100001", DEMO_PHONES["ali"]
WAIT = 60.0  # seconds for a step to cross every process
LIVE_MS = 20_000  # the page follows the change feed: no reload


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(sms_number=SHOP_NUMBER, time_scale=0.05) as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> Iterator[Stack]:
    twilio = {"TWILIO_ACCOUNT_SID": fake_twilio.account_sid, "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
              "TWILIO_FROM_NUMBER": SHOP_NUMBER, "TWILIO_BASE_URL": fake_twilio.base_url}
    with running_stack(tmp_path_factory.mktemp("call-view-stack"), trained_model, env=twilio) as started:
        yield started


def sign_in(page: Page, stack: Stack, username: str) -> None:
    page.goto(f"{stack.inbox_url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORDS[username])
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("live-indicator")).to_contain_text("live", timeout=10_000)


def the_call_to(fake: FakeTwilio, number: str) -> PhoneCall:
    fake.wait_until(lambda: len(fake.calls_to(number)) >= 1, f"a call to {number}", WAIT)
    leg = fake.calls_to(number)[-1]
    leg.timeout = WAIT
    return leg


def test_ali_watches_janes_call_ring_his_phone_and_connect_then_holds_her_from_the_inbox(
        stack: Stack, fake_twilio: FakeTwilio, page: Page) -> None:
    sign_in(page, stack, "ali")
    fake_twilio.callee(ALI).rings()  # rings until the test picks up (20 s at most)

    jane = fake_twilio.place_call(JANE, SHOP_NUMBER, f"{stack.public_url}/webhooks/voice/webhook",
                                  status_callback=f"{stack.public_url}/webhooks/voice/status")
    jane.timeout = WAIT
    jane.settle().answer("I want to talk to a person about my parcel that never came")
    alis_phone = the_call_to(fake_twilio, ALI)

    row = page.get_by_test_id("ticket-row").filter(has_text="Jane")
    expect(row).to_have_count(1, timeout=LIVE_MS)
    row.click()
    block = page.get_by_test_id("phone-call")
    expect(block.get_by_test_id("call-state")).to_have_text("Ringing Ali", timeout=LIVE_MS)
    expect(block.get_by_test_id("call-sid")).to_have_text(f"Call {jane.sid}")
    expect(page.get_by_test_id("message").filter(has_text="my parcel that never came").first).to_be_visible()
    snap(page, "1-ringing-ali")

    alis_phone.pick_up()
    fake_twilio.wait_until(lambda: alis_phone.waiting_for == "gather", "Ali's brief", WAIT)
    alis_phone.press("1")

    expect(block.get_by_test_id("call-state")).to_have_text("Connected with Ali", timeout=LIVE_MS)
    expect(block.get_by_test_id("call-leg")).to_have_attribute("data-state", "accepted")
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-assignee", "ali", timeout=LIVE_MS)
    snap(page, "2-connected-with-ali")

    block.get_by_test_id("call-hold").click()
    expect(block.get_by_test_id("call-state")).to_have_text("Caller on hold by Ali", timeout=LIVE_MS)
    fake_twilio.wait_until(lambda: jane.on_hold, "Jane on hold", WAIT)
    snap(page, "3-jane-on-hold")
    block.get_by_test_id("call-resume").click()
    expect(block.get_by_test_id("call-state")).to_have_text("Connected with Ali", timeout=LIVE_MS)
    fake_twilio.wait_until(lambda: not jane.on_hold, "Jane off hold", WAIT)

    jane.hang_up()
    expect(block.get_by_test_id("call-state")).to_have_text("Call ended", timeout=LIVE_MS)
    snap(page, "4-call-ended")
