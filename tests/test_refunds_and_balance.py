"""Where a refund's money goes, as the customer hears it: back to the card, or store credit if asked.

A refund goes back to the payment method the order was paid with and leaves the Acme balance
alone; the balance is store credit only. Store credit is a separate choice the customer makes
in words, and it is still a refund for the risk check. Jane (+1 555 010 0001) paid for all her
orders with her Visa ending 4242 and has a $0.00 balance; see ``actions/acme/seed.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from actions.acme.models import PaymentMethodRow
from actions.domain.business import ActionRequest
from actions.domain.pending import Stage
from tests.support.world import JANE, World, make_world

NO_CREDIT = "Your Acme account balance is $0.00: nothing owed and no credit."
STORE_CREDIT_1001 = (
    "Add $42.50 of store credit to your Acme account for order 1001 (Wireless headphones), delivered 8 days ago, "
    "within our 30-day returns window. You can spend it at once; it can't be moved back to your card later. "
    "Reply YES to confirm or NO to cancel."
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def balance(world: World) -> int:
    return world.customer(JANE).balance_cents




def sent_params(world: World) -> list:
    """The parameters of every action the business ran, in order."""
    return [json.loads(row.params_json) for row in world.executions()]


# -- back to the card ------------------------------------------------------------------------


def test_jane_refunds_her_headphones_and_her_balance_is_still_zero(world: World) -> None:
    assert world.say(JANE, "what's my balance?", "ask_balance") == NO_CREDIT
    world.say(JANE, "I want a refund for order 1001", "request_refund")

    done = world.say(JANE, "yes", "affirm")

    assert done == "Refunded $42.50 for order 1001 to your Visa ending 4242. It will show in 3-5 working days."
    assert world.say(JANE, "what's my balance?", "ask_balance") == NO_CREDIT
    assert sent_params(world) == [{"order_id": "1001", "amount_cents": 4250, "destination": "original_payment_method"}]
    assert world.refunded("1001") == 4250


def test_the_refund_is_offered_to_the_card_that_paid_even_after_jane_changed_her_default(world: World) -> None:
    with world.business.session(write=True) as s:
        for card in s.exec(select(PaymentMethodRow).where(PaymentMethodRow.customer_id == "C001")):
            card.is_default = card.id == "P002"  # her Mastercard ending 5555 is now the default
            s.add(card)
        s.commit()

    prompt = world.say(JANE, "I want a refund for order 1001", "request_refund")

    assert prompt.startswith("Refund $42.50 to your Visa ending 4242 for order 1001 (Wireless headphones)")
    assert world.say(JANE, "yes", "affirm").endswith("to your Visa ending 4242. It will show in 3-5 working days.")


def test_a_card_removed_since_still_gets_the_refund_not_the_card_that_replaced_it(world: World) -> None:
    removed = world.business.execute(ActionRequest("remove_payment_method", "C001", {"payment_method_id": "P001"}), "rm")
    assert removed.message.endswith("Your Mastercard ending 5555 is now your default card.")

    prompt = world.say(JANE, "I want a refund for order 1001", "request_refund")

    assert prompt.startswith("Refund $42.50 to the card you paid with for order 1001 (Wireless headphones)")
    assert world.say(JANE, "yes", "affirm").startswith("Refunded $42.50 for order 1001 to the card you paid with.")
    assert balance(world) == 0


def test_saying_no_to_store_credit_keeps_the_refund_on_the_card(world: World) -> None:
    prompt = world.say(JANE, "refund order 1001 to my card, not store credit", "request_refund")
    assert prompt.startswith("Refund $42.50 to your Visa ending 4242 for order 1001")


# -- store credit, when asked for ------------------------------------------------------------


def test_jane_asks_for_store_credit_and_her_balance_goes_up_by_the_amount_once(world: World) -> None:
    prompt = world.say(JANE, "refund order 1001 as store credit", "request_refund")
    assert prompt == STORE_CREDIT_1001

    done = world.say(JANE, "yes", "affirm")

    assert done == ("Added $42.50 of store credit to your Acme account for order 1001. "
                    "Your balance is now $42.50, ready to spend.")
    assert world.say(JANE, "yes", "affirm") == "About your earlier request: " + done  # told again, not run again
    assert world.say(JANE, "what's my balance?", "ask_balance") == "You have $42.50 of credit on your Acme account."
    assert (balance(world), world.refunded("1001")) == (4250, 4250)
    assert sent_params(world) == [{"order_id": "1001", "amount_cents": 4250, "destination": "store_credit"}]
    decision = world.entries(JANE)[0]
    assert (decision.event, decision.request, decision.outcome) == ("risk_decision", "refund", "confirm")


def test_store_credit_asked_for_in_words_the_nlu_takes_for_a_balance_question(world: World) -> None:
    # the trained model reads this as ask_balance (0.79): the order and "store credit" say otherwise
    prompt = world.say(JANE, "I'd like store credit for order 1001", "ask_balance", confidence=0.79)

    assert prompt == STORE_CREDIT_1001
    world.say(JANE, "yes", "affirm")
    assert balance(world) == 4250


def test_questions_about_store_credit_are_still_balance_questions(world: World) -> None:
    assert world.say(JANE, "how much store credit have I got?", "ask_balance") == NO_CREDIT
    assert world.say(JANE, "how much store credit do I have from order 1003?", "ask_balance") == NO_CREDIT
    assert world.executions() == [] and world.services.pendings.awaiting_customer(JANE) is None


def test_store_credit_above_500_dollars_still_needs_a_senior_sign_off(world: World) -> None:
    prompt = world.say(JANE, "I'd like $700 back for order 1003 as store credit", "request_refund")

    assert prompt.startswith("Add $700.00 of store credit to your Acme account for order 1003 (Espresso machine)")
    assert prompt.endswith(
        "This needs approval from a senior member of our team ($700.00 is above $500.00). "
        "Reply YES to send it for approval, or NO to cancel."
    )
    assert "Nothing has been refunded or changed yet" in world.say(JANE, "yes", "affirm")
    waiting = world.services.pendings.get(next(e.pending_id for e in reversed(world.entries(JANE)) if e.pending_id))
    approval = world.services.approvals.for_pending(waiting.id)
    assert (waiting.stage, approval.kind, approval.amount_cents) == (Stage.APPROVAL, "refund", 70000)
    assert approval.summary.startswith("Add $700.00 of store credit")
    assert world.executions() == [] and balance(world) == 0


def test_a_new_amount_for_store_credit_is_still_store_credit(world: World) -> None:
    world.say(JANE, "refund order 1001 as store credit", "request_refund")

    prompt = world.say(JANE, "actually make it $20", "change_amount")

    assert prompt.startswith("Add $20.00 of store credit to your Acme account for order 1001")
    world.say(JANE, "yes", "affirm")
    assert (balance(world), world.refunded("1001")) == (2000, 2000)


def test_jane_switches_a_waiting_card_refund_to_store_credit_and_back(world: World) -> None:
    world.say(JANE, "I want a refund for order 1001", "request_refund")

    # what the trained model makes of these: change_amount (0.55), then ask_balance (0.64)
    switched = world.say(JANE, "actually, can I have it as store credit instead?", "change_amount", confidence=0.55)
    assert switched == STORE_CREDIT_1001
    back = world.say(JANE, "actually put it on my card, not store credit", "ask_balance", confidence=0.64)
    assert back.startswith("Refund $42.50 to your Visa ending 4242 for order 1001")

    world.say(JANE, "yes", "affirm")
    assert (balance(world), world.refunded("1001")) == (0, 4250)
    changes = [(e.detail["old_destination"], e.detail["new_destination"])
               for e in world.entries(JANE) if e.event == "refund_destination_changed"]
    assert changes == [("original_payment_method", "store_credit"), ("store_credit", "original_payment_method")]


def test_the_returns_policy_says_where_refunds_go_and_that_store_credit_is_a_choice(world: World) -> None:
    reply = world.say(JANE, "what's your returns policy?", "ask_returns_policy")
    assert "Refunds go back to the card you paid with" in reply and "rather have store credit" in reply


def test_store_credit_without_an_order_asks_which_and_stays_store_credit(world: World) -> None:
    question = world.say(JANE, "I'd like a refund as store credit", "request_refund")
    assert question.startswith("Which order is this about?")

    assert world.say(JANE, "order 1001", "inform") == STORE_CREDIT_1001
