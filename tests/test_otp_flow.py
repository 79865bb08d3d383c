"""Destructive requests that need a one-time code texted to the phone on file.

Codes are real: the assistant texts them through the development outbox and the customer
reads them from there (``world.last_code``), exactly as a developer running the demo would.
Sam (+1 555 010 0002) has an active Snack Box weekly subscription (S002); Jane has a Coffee
Club subscription, a Visa ending 4242 (default) and a Mastercard ending 5555.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.domain.messaging import DeliveryFailed
from actions.domain.pending import Stage
from actions.domain.policy import load_policy
from actions.domain.step_up import ChallengeStatus
from actions.settings import PROJECT_ROOT
from actions.sms import read_outbox
from tests.support.world import JANE, PHONES, SAM, World, make_world, sql_stores

CANCELLED = "Your Snack Box weekly subscription is cancelled. You won't be charged $12.50 on Wednesday 25 November."
NO_REQUEST = "There's no request waiting for a code right now, so that code wasn't used. What would you like to do?"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def snack_box(world: World) -> str:
    return next(s.status for s in world.business.subscriptions("C002") if s.id == "S002")


def pending_id(world: World, phone: str) -> str:
    return next(e.pending_id for e in world.entries(phone) if e.pending_id)


def wrong(code: str) -> str:
    """A six-digit code that is certainly not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def ask_to_cancel(world: World) -> str:
    reply = world.say(SAM, "please cancel my snack box subscription", "cancel_subscription")
    assert "I've sent a 6-digit code to your phone ending 0002" in reply
    return world.last_code(SAM)


class UnreachableSmsProvider:
    """Stands for an SMS provider that refuses every message."""

    async def send_sms(self, to: str, body: str) -> str:
        raise DeliveryFailed("provider returned 503")


# -- the happy path ------------------------------------------------------------------------


def test_the_right_code_cancels_the_subscription_once(world: World) -> None:
    prompt = world.say(SAM, "cancel my subscription", "cancel_subscription")
    assert prompt == (
        "Cancel your Snack Box weekly subscription ($12.50 per period). It won't renew on Wed 25 Nov and you'll "
        "lose member pricing. This can't be undone here. To make sure it's you, I've sent a 6-digit code to your "
        "phone ending 0002. Reply with the code to confirm (it's valid for 5 minutes), or NO to cancel."
    )
    assert world.codes_sent(SAM) == 1
    assert snack_box(world) == "active"  # nothing runs before the code
    code = world.last_code(SAM)

    reply = world.say(SAM, f"{code[:3]} {code[3:]}", "provide_otp")  # typed with a space

    assert reply == CANCELLED
    assert snack_box(world) == "cancelled"
    assert [(e.kind, e.customer_id) for e in world.executions()] == [("cancel_subscription", "C002")]
    assert world.events(SAM) == ["risk_decision", "otp_sent", "otp_verified", "executed"]
    assert world.entries(SAM)[0].tier == "destructive"


def test_the_code_text_says_what_it_confirms_and_warns_against_sharing(world: World) -> None:
    code = ask_to_cancel(world)
    world.say(SAM, code, "provide_otp")

    (message,) = read_outbox(world.outbox)
    assert message["to"] == PHONES[SAM]
    assert message["body"] == (
        f"Acme security code: {code}. It confirms: Cancel your Snack Box weekly subscription ($12.50 per period). "
        "Valid 5 minutes. Never share it: we will never call you to ask for it."
    )


def test_saying_no_instead_of_a_code_cancels_and_voids_the_code(world: World) -> None:
    code = ask_to_cancel(world)

    assert world.say(SAM, "no", "deny") == "No problem, I've cancelled that. Nothing was changed."
    assert world.services.challenges.current(pending_id(world, SAM)).status is ChallengeStatus.VOID
    assert world.say(SAM, code, "provide_otp") == NO_REQUEST
    assert snack_box(world) == "active"


def test_a_yes_instead_of_a_code_asks_for_the_code(world: World) -> None:
    ask_to_cancel(world)
    assert world.say(SAM, "yes", "affirm") == (
        "Please reply with the 6-digit code we sent to your phone ending 0002, or NO to cancel."
    )
    assert snack_box(world) == "active"


# -- wrong, expired and replayed codes -----------------------------------------------------


def test_three_wrong_codes_cancel_the_request_and_the_right_code_no_longer_works(world: World) -> None:
    code = ask_to_cancel(world)
    guesses = [wrong(code), wrong(wrong(code)), wrong(wrong(wrong(code)))]

    replies = [world.say(SAM, guess, "provide_otp") for guess in guesses]

    assert replies[:2] == ["That code isn't right. You have 2 tries left.", "That code isn't right. You have 1 try left."]
    assert replies[2].startswith("That's 3 wrong codes, so for your security I've cancelled this request and nothing was changed.")
    assert world.services.pendings.get(pending_id(world, SAM)).stage is Stage.CANCELLED
    assert world.say(SAM, code, "provide_otp") == NO_REQUEST
    assert snack_box(world) == "active"
    assert world.executions() == []
    assert world.events(SAM) == ["risk_decision", "otp_sent", "otp_failed", "otp_failed", "otp_locked", "reply_without_pending"]


def test_an_expired_code_is_refused_and_a_resent_code_works_instead(world: World) -> None:
    old = ask_to_cancel(world)
    world.clock.advance(minutes=5)

    assert world.say(SAM, old, "provide_otp") == "That code has expired. Reply RESEND for a new one, or NO to cancel."
    assert snack_box(world) == "active"

    assert world.say(SAM, "resend", "resend_code") == (
        "I've sent a new code to your phone ending 0002; the previous one no longer works."
    )
    new = world.last_code(SAM)
    assert world.codes_sent(SAM) == 2

    if new != old:  # a fresh random code: on the one-in-a-million equal draw, skip the old-code check
        assert world.say(SAM, old, "provide_otp") == "That code isn't right. You have 2 tries left."
    assert world.say(SAM, new, "provide_otp") == CANCELLED
    assert snack_box(world) == "cancelled"
    assert len(world.executions()) == 1
    assert "otp_expired" in world.events(SAM) and "otp_resent" in world.events(SAM)


def test_asking_for_a_new_code_does_not_reset_the_wrong_tries(world: World) -> None:
    code = ask_to_cancel(world)
    wrong = "000000" if code != "000000" else "111111"
    assert world.say(SAM, wrong, "provide_otp").endswith("2 tries left.")
    assert world.say(SAM, wrong, "provide_otp").endswith("1 try left.")
    world.clock.advance(seconds=30)
    world.say(SAM, "resend", "resend_code")
    fresh = world.last_code(SAM)

    reply = world.say(SAM, "000001" if fresh != "000001" else "000002", "provide_otp")

    assert "cancelled this request" in reply
    world.say(SAM, fresh, "provide_otp")
    assert snack_box(world) == "active"


def test_a_code_resent_late_expires_with_the_request_it_confirms(world: World) -> None:
    ask_to_cancel(world)
    world.clock.advance(minutes=8)
    world.say(SAM, "resend", "resend_code")
    late = world.last_code(SAM)
    pending = world.services.pendings.get(world.entries(SAM)[-1].pending_id)
    assert world.services.challenges.current(pending.id).expires_at == pending.expires_at  # not 8 + 5 minutes

    world.clock.advance(minutes=2)  # the request itself is now 10 minutes old

    reply = world.say(SAM, late, "provide_otp")
    assert reply.startswith("Your earlier request expired after 10 minutes")
    assert snack_box(world) == "active"


def test_a_new_code_is_not_sent_again_within_the_cooldown(world: World) -> None:
    ask_to_cancel(world)
    world.clock.advance(seconds=10)

    assert world.say(SAM, "resend", "resend_code") == "I've just sent you a code. You can ask for a new one in 20 seconds."
    assert world.codes_sent(SAM) == 1

    world.clock.advance(seconds=20)
    assert world.say(SAM, "resend", "resend_code").startswith("I've sent a new code")
    assert world.codes_sent(SAM) == 2


def test_no_more_than_three_codes_are_sent_for_one_request(world: World) -> None:
    ask_to_cancel(world)
    for _ in range(2):
        world.clock.advance(seconds=30)
        assert world.say(SAM, "resend", "resend_code").startswith("I've sent a new code")

    world.clock.advance(seconds=30)
    assert world.say(SAM, "resend", "resend_code").startswith("I've already sent the maximum number of codes")
    assert world.codes_sent(SAM) == 3
    assert world.say(SAM, world.last_code(SAM), "provide_otp") == CANCELLED  # the last one still works


def test_a_replayed_code_after_success_is_refused_and_nothing_runs_twice(world: World) -> None:
    code = ask_to_cancel(world)
    assert world.say(SAM, code, "provide_otp") == CANCELLED

    assert world.say(SAM, code, "provide_otp") == "About your earlier request: " + CANCELLED  # told, not run again

    assert snack_box(world) == "cancelled"
    assert len(world.executions()) == 1
    assert world.events(SAM).count("executed") == 1
    assert world.services.challenges.current(pending_id(world, SAM)).status is ChallengeStatus.USED


def test_two_workers_presenting_the_right_code_at_once_cancel_once(tmp_path: Path) -> None:
    world = make_world(tmp_path, stores=sql_stores)
    code = ask_to_cancel(world)
    replies = world.say_at_once(SAM, code, "provide_otp")

    assert sorted(replies)[1] == CANCELLED
    assert sorted(replies)[0].startswith((
        "That code was just used or replaced.",  # lost the race to mark the code used
        "That code has already been used.",  # read the code after the winner had used it
        "That's being done right now",  # both verified, the winner is executing
        "About your earlier request: " + CANCELLED,  # arrived after the whole thing was done
    )), replies
    assert len(world.executions()) == 1
    assert snack_box(world) == "cancelled"
    assert world.events(SAM).count("executed") == 1
    assert world.events(SAM).count("otp_verified") == 1
    assert world.services.pendings.get(pending_id(world, SAM)).stage is Stage.DONE


# -- what is kept, and what happens when a text can't be sent --------------------------------


def test_no_code_ever_reaches_the_audit_log(world: World) -> None:
    first = ask_to_cancel(world)
    guess = wrong(first)
    world.say(SAM, guess, "provide_otp")
    world.clock.advance(seconds=30)
    world.say(SAM, "resend", "resend_code")
    second = world.last_code(SAM)
    world.say(SAM, second, "provide_otp")
    assert snack_box(world) == "cancelled"

    entries = world.services.audit.entries()
    assert len(entries) >= 6
    for entry in entries:
        kept = repr(entry.reasons) + repr(dict(entry.detail)) + repr(entry)
        for secret in (first, second, guess):
            assert secret not in kept, (entry.event, secret)
    sent = [e for e in entries if e.event == "otp_sent"]
    assert [e.detail["to"] for e in sent] == ["***0002", "***0002"]  # the number is masked too


def test_a_text_that_cannot_be_sent_cancels_the_request_and_says_so(world: World) -> None:
    """The code goes out after the turn; when it can't, the bot says so next and nothing waits on it."""
    world.phones = UnreachableSmsProvider()

    prompt, apology = world.replies(SAM, "cancel my subscription", "cancel_subscription")

    assert "I've sent a 6-digit code to your phone ending 0002" in prompt  # queued: the turn doesn't wait for the SMS
    assert apology.startswith("I couldn't send a security code to your phone ending 0002, so I haven't changed anything.")
    assert "ask for a person" in apology
    pending = pending_id(world, SAM)
    assert world.services.pendings.get(pending).stage is Stage.CANCELLED
    assert world.services.challenges.current(pending).status is ChallengeStatus.VOID
    failure = next(e for e in world.entries(SAM) if e.event == "otp_delivery_failed")
    assert failure.detail["error"] == "provider returned 503"
    assert world.say(SAM, "123456", "provide_otp") == NO_REQUEST
    assert snack_box(world) == "active"
    assert world.executions() == []


def test_a_resend_that_cannot_be_sent_cancels_the_request(world: World) -> None:
    code = ask_to_cancel(world)
    world.phones = UnreachableSmsProvider()
    world.clock.advance(seconds=30)

    resent, apology = world.replies(SAM, "resend", "resend_code")
    assert resent.startswith("I've sent a new code") and apology.startswith("I couldn't send a security code")
    assert world.say(SAM, code, "provide_otp") == NO_REQUEST
    assert snack_box(world) == "active"


# -- the other destructive requests ----------------------------------------------------------


def test_closing_an_account_with_the_right_code_closes_it_and_ends_the_subscription(world: World) -> None:
    prompt = world.say(JANE, "I want to close my account", "close_account")
    assert prompt.startswith("Close your Acme account (jane@example.com).")
    assert "Your Coffee Club monthly subscription will be cancelled too." in prompt
    assert world.customer(JANE).status == "active"

    world.say(JANE, world.last_code(JANE), "provide_otp")

    assert world.customer(JANE).status == "closed"
    assert [s.status for s in world.business.subscriptions("C001")] == ["cancelled"]
    assert [e.kind for e in world.executions()] == ["close_account"]


def test_removing_a_card_with_the_right_code_removes_only_that_card(world: World) -> None:
    prompt = world.say(JANE, "remove my card ending 5555", "remove_payment_method")
    assert prompt.startswith("Remove your Mastercard ending 5555 from your account. Your default card stays the same.")
    assert [c.last4 for c in world.business.payment_methods("C001")] == ["4242", "5555"]

    world.say(JANE, world.last_code(JANE), "provide_otp")

    assert [(c.last4, c.is_default) for c in world.business.payment_methods("C001")] == [("4242", True)]
    assert [e.kind for e in world.executions()] == ["remove_payment_method"]


def test_when_the_policy_says_email_changes_need_a_code_the_customer_gets_one(tmp_path: Path) -> None:
    edited = tmp_path / "risk_policy.yml"
    shipped = (PROJECT_ROOT / "bot" / "risk_policy.yml").read_text(encoding="utf-8")
    edited.write_text(shipped.replace("update_email: confirm", "update_email: otp"), encoding="utf-8")
    world = make_world(tmp_path, policy=load_policy(edited))

    prompt = world.say(SAM, "please change my email to sam@new.example", "update_email")

    assert prompt.startswith("Change your account email from sam@example.com to sam@new.example.")
    assert "I've sent a 6-digit code to your phone ending 0002" in prompt
    assert world.say(SAM, "yes", "affirm").startswith("Please reply with the 6-digit code")
    assert world.customer(SAM).email == "sam@example.com"
    world.say(SAM, world.last_code(SAM), "provide_otp")
    assert world.customer(SAM).email == "sam@new.example"


def test_after_closing_the_account_the_bot_no_longer_acts_on_it(world: World) -> None:
    world.say(SAM, "close my account", "close_account")
    world.say(SAM, world.last_code(SAM), "provide_otp")

    reply = world.say(SAM, "refund $5 for order 1005", "request_refund")

    assert reply.startswith("This Acme account is closed")
    assert world.services.pendings.awaiting_customer(SAM) is None
