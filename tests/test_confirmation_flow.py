"""Refunds a customer confirms with YES: the whole conversation, on the real demo business.

Jane (+1 555 010 0001) has delivered headphones (order 1001, $42.50) and an espresso machine
(order 1003, $749.00), a $0.00 balance and no refunds yet; see ``actions/acme/seed.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.domain.extract import read_details
from actions.domain.pending import Stage
from actions.domain.signoff import SignOff
from actions.domain.turn import MAX_MESSAGE_CHARS
from tests.support.faults import TimesOutOnExecute
from tests.support.world import JANE, SAM, World, make_world, sql_stores

SENIOR = "a senior member of our team"  # who decides a refund up to $1,000
OPEN_QUESTION = "There's nothing waiting for your confirmation right now. What can I help you with?"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)




def balance(world: World, phone: str = JANE) -> int:
    return world.customer(phone).balance_cents


def pending_id(world: World, phone: str = JANE) -> str:
    return next(e.pending_id for e in reversed(world.entries(phone)) if e.pending_id)


def nothing_happened(world: World) -> bool:
    return world.executions() == [] and balance(world) == 0 and world.refunded("1001") == world.refunded("1003") == 0


# -- the happy path ------------------------------------------------------------------------


def test_a_customer_confirms_a_small_refund_and_it_runs_once(world: World) -> None:
    prompt = world.say(JANE, "I'd like a refund of $20 for order 1001", "request_refund")
    assert prompt == (
        "Refund $20.00 to your Visa ending 4242 for order 1001 (Wireless headphones), delivered 8 days ago, "
        "within our 30-day returns window. You'll see it in 3-5 working days. Reply YES to confirm or NO to cancel."
    )
    assert world.executions() == []  # nothing runs before the YES

    done = world.say(JANE, "yes", "affirm")

    assert done == "Refunded $20.00 for order 1001 to your Visa ending 4242. It will show in 3-5 working days."
    assert (balance(world), world.refunded("1001")) == (0, 2000)
    assert [(e.kind, e.customer_id) for e in world.executions()] == [("refund", "C001")]
    assert world.events(JANE) == ["risk_decision", "confirmation_requested", "confirmed", "executed"]
    entries = world.entries(JANE)
    assert {e.policy_version for e in entries} == {world.services.policy.version}
    decision = entries[0]
    assert (decision.outcome, decision.tier, decision.request) == ("confirm", "medium", "refund")
    assert decision.reasons == ("small_refund: $20.00 is within $100.00",)
    assert (entries[2].actor, entries[3].actor) == ("customer", "customer")
    assert entries[3].detail["idempotency_key"] == world.executions()[0].idempotency_key
    assert world.services.pendings.get(pending_id(world)).stage is Stage.DONE


def test_a_customer_who_says_no_keeps_everything_as_it_was(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, "no", "deny")

    assert reply == "No problem, I've cancelled that. Nothing was changed."
    assert nothing_happened(world)
    assert world.events(JANE)[-1] == "declined"
    assert world.services.pendings.get(pending_id(world)).stage is Stage.CANCELLED
    assert world.say(JANE, "yes", "affirm") == OPEN_QUESTION  # a late YES does not revive it


def test_a_customer_who_texts_stop_while_a_confirmation_waits_has_it_cancelled(world: World) -> None:
    """STOP ("cancel" is a carrier's stop word) means nothing can reach them to ask again."""
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    SignOff(world.services).customer_stopped(JANE)

    assert nothing_happened(world)
    assert world.events(JANE)[-1] == "cancelled_customer_stopped"
    assert world.services.pendings.get(pending_id(world)).stage is Stage.CANCELLED
    assert world.say(JANE, "yes", "affirm") == OPEN_QUESTION  # a YES after START does not revive it


def test_a_customer_changes_the_amount_then_confirms_the_new_one(world: World) -> None:
    world.say(JANE, "refund $30 for order 1001", "request_refund")

    prompt = world.say(JANE, "actually make it $25", "change_amount")
    assert prompt.startswith("Refund $25.00 to your Visa ending 4242 for order 1001")
    assert prompt.endswith("Reply YES to confirm or NO to cancel.")

    assert world.say(JANE, "yes", "affirm").startswith("Refunded $25.00 for order 1001")
    assert (balance(world), world.refunded("1001")) == (0, 2500)
    assert len(world.executions()) == 1
    changed = next(e for e in world.entries(JANE) if e.event == "amount_changed")
    assert (changed.detail["old_amount_cents"], changed.detail["new_amount_cents"]) == (3000, 2500)


def test_a_new_amount_for_another_order_is_proposed_for_that_order(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    prompt = world.say(JANE, "sorry, I meant $30 for order 1003", "request_refund")

    assert prompt.startswith("Refund $30.00 to your Visa ending 4242 for order 1003 (Espresso machine)")
    assert world.say(JANE, "yes", "affirm").startswith("Refunded $30.00 for order 1003")
    assert (world.refunded("1001"), world.refunded("1003")) == (0, 3000)


def test_raising_the_amount_above_500_dollars_goes_to_a_manager_instead(world: World) -> None:
    world.say(JANE, "refund $300 for order 1003", "request_refund")

    reply = world.say(JANE, "make it $600", "change_amount")
    assert f"needs approval from {SENIOR} ($600.00 is above $500.00)" in reply

    sent = world.say(JANE, "yes", "affirm")

    assert "Nothing has been refunded or changed yet" in sent
    assert nothing_happened(world)
    waiting = world.services.pendings.get(pending_id(world))
    assert (waiting.stage, waiting.amount_cents) == (Stage.APPROVAL, 60000)
    assert world.services.approvals.for_pending(waiting.id) is not None
    assert world.say(JANE, "yes", "affirm") == OPEN_QUESTION  # the customer cannot approve it herself
    assert world.executions() == []


def test_two_unclear_answers_cancel_the_request(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    again = world.say(JANE, "hmm what about the other one", "inform", confidence=0.9)
    assert again.startswith("Sorry, I need a clear yes or no. Refund $20.00")

    cancelled = world.say(JANE, "maybe, not sure", "chitchat")
    assert cancelled.startswith("I couldn't get a clear answer, so I've cancelled that request")
    assert nothing_happened(world)
    assert world.events(JANE)[-3:] == ["unclear_reply", "unclear_reply", "cancelled_unclear"]


def test_a_quick_question_is_answered_and_the_refund_keeps_waiting(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, "when does 1002 arrive?", "ask_delivery_date", order_id="1002")

    assert reply.startswith("Order 1002 (Smart speaker) is due")
    assert reply.endswith("I'm still waiting for your answer on: Refund $20.00 to your Visa ending 4242 "
                          "for order 1001 (Wireless headphones). Reply YES to confirm or NO to cancel.")
    assert "Refunded $20.00" in world.say(JANE, "yes", "affirm")


def test_a_different_request_waits_until_the_first_is_answered(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, "actually change my email to jane.new@example.com", "update_email")

    assert reply == (
        "Let's finish this first, then I'll help with the next thing. I'm still waiting for your answer on: "
        "Refund $20.00 to your Visa ending 4242 for order 1001 (Wireless headphones). Reply YES to confirm or NO to cancel."
    )
    assert world.say(JANE, "no", "deny").startswith("No problem, I've cancelled that.")
    world.say(JANE, "change my email to jane.new@example.com", "update_email")
    world.say(JANE, "yes", "affirm")
    assert world.customer(JANE).email == "jane.new@example.com"
    assert [row.kind for row in world.executions()] == ["update_email"]


def test_an_order_number_given_while_a_refund_waits_is_not_taken_for_an_amount(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, "1003", "inform")

    assert reply.startswith("Sorry, I need a clear yes or no. Refund $20.00")
    assert "Refunded $20.00" in world.say(JANE, "yes", "affirm")


def test_an_amount_too_large_keeps_the_earlier_refund_open(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, "make it $60", "change_amount")

    assert reply.startswith("Order 1001 (Wireless headphones) has $42.50 left to refund")
    assert reply.endswith("Reply YES to confirm or NO to cancel.")
    assert world.say(JANE, "make it $40", "change_amount").startswith("Refund $40.00")
    assert "Refunded $40.00" in world.say(JANE, "yes", "affirm")


def test_when_the_backend_does_not_answer_a_person_checks_instead_of_a_second_try(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    pending = world.services.pendings.get(pending_id(world))
    world.services.business = TimesOutOnExecute(world.business)  # type: ignore[assignment]

    reply = world.say(JANE, "yes", "affirm")

    assert reply.startswith("Our account system didn't confirm whether this went through")
    assert world.services.pendings.get(pending.id).stage is Stage.WITH_AGENT
    handoff = world.services.handoffs.open_for(JANE)
    assert (handoff.topic, handoff.priority, handoff.pending_id) == ("execution_unconfirmed", "urgent", pending.id)
    assert handoff.evidence["recommendation"].startswith("Check in the order system whether the action went through")
    assert handoff.evidence["pending"]["idempotency_key"] == pending.idempotency_key
    assert f"Unknown whether this ran: {pending.headline}" in handoff.evidence["summary"]
    assert "execution_unconfirmed" in world.events(JANE)


def test_a_yes_the_bot_is_unsure_about_does_not_confirm(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, "I suppose that might be fine", "affirm", confidence=0.3)

    assert reply.startswith("Sorry, I need a clear yes or no.")
    assert world.executions() == []


def test_a_confirmation_expires_after_ten_minutes_and_nothing_runs(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    world.clock.advance(minutes=10)

    reply = world.say(JANE, "yes", "affirm")

    assert reply == (
        "Your earlier request expired after 10 minutes, so nothing was changed. " + OPEN_QUESTION
    )
    assert nothing_happened(world)
    assert world.events(JANE)[-2:] == ["expired", "reply_without_pending"]
    assert world.services.pendings.get(pending_id(world)).stage is Stage.EXPIRED


def test_a_yes_a_second_before_the_ten_minutes_still_counts(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    world.clock.advance(minutes=9, seconds=59)

    assert world.say(JANE, "yes", "affirm").startswith("Refunded $20.00")
    assert (balance(world), world.refunded("1001")) == (0, 2000)


def test_a_yes_delivered_twice_refunds_once(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    first = world.say(JANE, "yes", "affirm")
    second = world.say(JANE, "yes", "affirm")

    assert first.startswith("Refunded $20.00")
    assert second == "About your earlier request: " + first  # told what the first did, not run again
    assert (balance(world), world.refunded("1001")) == (0, 2000)
    assert len(world.executions()) == 1
    assert world.events(JANE).count("executed") == 1


def test_two_workers_handling_the_same_yes_at_once_refund_once(tmp_path: Path) -> None:
    world = make_world(tmp_path, stores=sql_stores)
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    replies = world.say_at_once(JANE, "yes", "affirm")

    assert len(replies) == 2
    assert sum(r.startswith("Refunded $20.00") for r in replies) >= 1
    assert all(
        r.startswith(("Refunded $20.00", "About your earlier request: Refunded $20.00"))
        or r in (OPEN_QUESTION, "That's being done right now; I'll confirm in a moment.")
        for r in replies
    ), replies
    assert len(world.executions()) == 1
    assert (balance(world), world.refunded("1001")) == (0, 2000)
    assert world.events(JANE).count("executed") == 1
    assert world.services.pendings.get(pending_id(world)).stage is Stage.DONE


# -- the bigger refunds --------------------------------------------------------------------


def test_a_medium_refund_is_confirmed_and_logged_for_review(world: World) -> None:
    prompt = world.say(JANE, "please refund $250 for order 1003", "request_refund")
    assert prompt.startswith("Refund $250.00 to your Visa ending 4242 for order 1003 (Espresso machine)")
    assert prompt.endswith("Reply YES to confirm or NO to cancel.")

    assert world.say(JANE, "yes", "affirm").startswith("Refunded $250.00 for order 1003")

    assert (balance(world), world.refunded("1003")) == (0, 25000)
    decision = world.entries(JANE)[0]
    assert decision.event == "risk_decision"
    assert decision.outcome == "confirm"
    assert decision.reasons == ("medium_refund_logged: $250.00 is above $100.00: confirmed and logged for review",)
    executed = world.entries(JANE)[-1]
    assert executed.event == "executed" and executed.reasons == decision.reasons  # the review sees why


def test_a_700_dollar_refund_waits_for_a_manager_and_nothing_is_refunded(world: World) -> None:
    proposal = world.say(JANE, "I want a refund of $700 for order 1003", "request_refund")
    assert proposal.startswith("Refund $700.00 to your Visa ending 4242 for order 1003 (Espresso machine)")
    assert proposal.endswith(
        f"This needs approval from {SENIOR} ($700.00 is above $500.00). Reply YES to send it for approval, or NO to cancel."
    )

    reply = world.say(JANE, "yes", "affirm")

    assert "Nothing has been refunded or changed yet" in reply
    assert nothing_happened(world)
    assert world.events(JANE) == ["risk_decision", "confirmation_requested", "confirmed", "approval_requested"]
    waiting = world.services.pendings.get(pending_id(world))
    assert (waiting.stage, waiting.outcome, waiting.amount_cents) == (Stage.APPROVAL, "approval", 70000)
    approval = world.services.approvals.for_pending(waiting.id)
    assert approval is not None
    assert (approval.customer_id, approval.kind, approval.amount_cents, approval.status) == ("C001", "refund", 70000, "pending")
    assert approval.requested_at == world.clock.now()
    assert f"reference {approval.id[:8].upper()}" in reply
    assert any(reason.startswith("amount_above_approval_limit") for reason in approval.reasons)


def test_asking_again_for_a_refund_already_with_a_manager_does_not_file_it_twice(world: World) -> None:
    world.say(JANE, "I want a refund of $700 for order 1003", "request_refund")
    world.say(JANE, "yes", "affirm")

    reply = world.say(JANE, "refund $650 for order 1003", "request_refund")

    # the customer hears which request is waiting: a different amount is not silently the same thing
    assert reply.startswith("You already have a request waiting for approval for this (Refund $700.00 to your Visa "
                            "ending 4242 for order 1003 (Espresso machine), reference")
    assert len(world.services.approvals.open_for_customer("C001")) == 1


# -- missing details and odd answers -------------------------------------------------------


def test_a_refund_without_an_order_asks_which_one_then_completes(world: World) -> None:
    question = world.say(JANE, "I want a refund", "request_refund")
    assert question == "Which order is this about? Your orders: 1001 Wireless headphones $42.50; 1003 Espresso machine $749.00."

    prompt = world.say(JANE, "the headphones, order 1001", "inform")
    assert prompt.startswith("Refund $42.50 to your Visa ending 4242 for order 1001 (Wireless headphones)")

    assert world.say(JANE, "yes", "affirm").startswith("Refunded $42.50 for order 1001")
    assert world.refunded("1001") == 4250
    assert world.events(JANE) == ["asked_for_detail", "risk_decision", "confirmation_requested", "confirmed", "executed"]
    assert world.services.drafts.get(JANE) is None


def test_a_customer_with_one_refundable_order_is_not_asked_which(world: World) -> None:
    prompt = world.say(SAM, "I want my money back", "request_refund")
    assert prompt.startswith("Refund $35.00 to your Amex ending 0005 for order 1005 (Yoga mat)")


def test_a_customer_key_with_no_account_behind_it_gets_a_polite_answer_and_nothing_is_looked_up(world: World) -> None:
    stranger = "customer-C999"  # e.g. an account removed since the conversation began

    reply = world.say(stranger, "refund $20 for order 1001", "request_refund")

    assert reply.startswith("I couldn't find your Acme account")
    assert "say 'agent' and a person will help you" in reply
    assert world.say(stranger, "yes", "affirm") == OPEN_QUESTION
    assert world.events(stranger) == ["unknown_customer", "reply_without_pending"]
    assert nothing_happened(world)


def test_a_yes_out_of_the_blue_gets_a_polite_answer(world: World) -> None:
    assert world.say(JANE, "YES", "affirm") == OPEN_QUESTION
    assert world.events(JANE) == ["reply_without_pending"]
    assert nothing_happened(world)


def test_small_talk_still_goes_through_the_risk_check(world: World) -> None:
    assert world.say(SAM, "thanks!", "thankyou").startswith("You're welcome!")

    reply = world.say(JANE, "thanks, I'm calling my lawyer about this", "thankyou")

    assert reply.startswith("I'm bringing in a specialist")
    assert world.services.handoffs.open_for(JANE).topic == "legal"


@pytest.mark.parametrize("answer", ["?", "asdkjh qwpoeiru", "\U0001F642", "ja", "yes but only half", "我的订单在哪里"])
def test_only_a_clear_yes_signs_off_even_when_the_classifier_is_sure(world: World, answer: str) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    reply = world.say(JANE, answer, "affirm", confidence=0.98)

    assert reply.startswith("Sorry, I need a clear yes or no.")
    assert world.executions() == []


def test_a_zero_dollar_refund_is_refused_not_turned_into_a_full_one(world: World) -> None:
    reply = world.say(JANE, "refund $0 for order 1001", "request_refund")

    assert reply == ('"$0" is zero: an amount must be more than $0.00. Write it like 12.50. '
                     "How much would you like back?")
    assert world.services.pendings.awaiting_customer(JANE) is None


def test_a_new_amount_without_a_dollar_sign_is_understood(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    assert world.say(JANE, "make it 12.50", "change_amount").startswith("Refund $12.50")


def test_a_trailing_instead_is_not_part_of_the_new_address(world: World) -> None:
    reply = world.say(SAM, "send 1004 to 14 Pine Rd instead", "change_address")

    assert reply.startswith("Send order 1004 (Running shoes) to 14 Pine Rd instead of 7 Oak Avenue")


def crash_after_claiming(world: World, run_it_first: bool) -> str:
    """A worker claims the confirmed refund and dies, before or after the business ran it."""
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    pending = world.services.pendings.get(pending_id(world))
    assert world.services.pendings.move(pending.id, (Stage.CONFIRM,), Stage.EXECUTING, claimed_at=world.clock.now())
    if run_it_first:
        world.business.execute(pending.request, pending.idempotency_key)
    return pending.id


@pytest.mark.parametrize("run_it_first", [False, True], ids=["died-before-the-business-ran-it", "died-after"])
def test_an_action_left_half_done_by_a_crashed_worker_is_finished_once(world: World, run_it_first: bool) -> None:
    stuck = crash_after_claiming(world, run_it_first)
    world.clock.advance(seconds=30)
    assert not world.say(JANE, "hi", "greet").startswith("About your earlier request")  # may still be running

    world.clock.advance(minutes=3)
    reply = world.say(JANE, "hi", "greet")

    assert reply.startswith("About your earlier request: Refunded $20.00 for order 1001")
    assert world.services.pendings.get(stuck).stage is Stage.DONE
    assert len(world.executions()) == 1 and world.refunded("1001") == 2000
    assert "execution_resumed" in world.events(JANE)


def test_the_customer_is_who_the_server_chose_for_the_conversation_never_a_number_in_its_id(world: World) -> None:
    visitor = "visitor-5f0c9a4e8d2b4c1e9a7f3b2d1c0e8f6a"  # a web chat visitor the server gave an id

    assert world.say(visitor, "what's my balance?", "ask_balance", channel="webchat").startswith(
        "I can't see which Acme account is yours in this chat")
    assert world.say("+15550100001", "what's my balance?", "ask_balance").startswith(
        "I couldn't find your Acme account")  # an id that looks like Jane's number is not Jane
    assert world.say(JANE, "what's my balance?", "ask_balance", channel="webchat") == (
        "Your Acme account balance is $0.00: nothing owed and no credit.")
    assert world.services.pendings.awaiting_customer("+15550100001") is None


def test_a_message_longer_than_any_channel_takes_is_read_only_as_far_as_they_allow() -> None:
    # some detail patterns take time growing with the square of the length: a megabyte must not stall the server
    beyond = "x" * MAX_MESSAGE_CHARS + " my new email is jane.new@example.com"
    assert read_details(beyond, {}).email is None
    assert read_details("my new email is jane.new@example.com", {}).email == "jane.new@example.com"
