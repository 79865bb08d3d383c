"""Customers talk to the trained assistant over Rasa's REST channel, one scenario per tier.

The trusted caller names each customer by the phone number on file, and the channel keys the
conversation by the customer (``customer-C001``); assertions look at what really changed in
the business and what the audit log says, not only at the bot's words. Each scenario uses its own customer or its own orders, so
the scenarios do not depend on each other's order.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import OTP_VALID_FOR, RunningAssistant
from tests.support.action_calls import action_call
from tests.support.trackers import assert_sealed_in_tracker

pytestmark = pytest.mark.e2e

JANE, SAM, PRIYA, BISTRO = "+15550100001", "+15550100002", "+15550100003", "+15550100005"


def status_of(url: str, body: bytes, headers: dict) -> int:
    """POST a JSON body; the HTTP status it gets."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_low_risk_question_is_answered_on_its_own(assistant: RunningAssistant) -> None:
    reply = assistant.say(SAM, "what time are you open?")
    assert "Monday to Friday" in reply
    reply = assistant.say(SAM, "where is my order 1004?")
    assert "1004" in reply and "Running shoes" in reply
    decision = [e for e in assistant.entries(SAM) if e.event == "answered"][-1]
    assert decision.outcome == "auto" and decision.tier == "low" and decision.policy_version


def test_a_small_refund_runs_once_after_the_customer_confirms(assistant: RunningAssistant) -> None:
    reply = assistant.say(JANE, "I'd like a refund of $20 for order 1001")
    assert "Refund $20.00" in reply and "Reply YES" in reply
    assert assistant.business.orders("C001")[0].refunded_cents == 0 or \
        next(o for o in assistant.business.orders("C001") if o.id == "1001").refunded_cents == 0
    reply = assistant.say(JANE, "yes")
    assert "Refunded $20.00" in reply
    reply = assistant.say(JANE, "yes")  # the confirmation delivered twice
    order = next(o for o in assistant.business.orders("C001") if o.id == "1001")
    assert order.refunded_cents == 2000
    assert assistant.business.get_customer("C001").balance_cents == 0  # back to her card, not store credit
    events = assistant.events(JANE)
    assert events.count("executed") == 1
    assert events.index("risk_decision") < events.index("confirmed") < events.index("executed")


def test_a_declined_refund_changes_nothing(assistant: RunningAssistant) -> None:
    reply = assistant.say(SAM, "can I get my money back for order 1005")
    assert "Refund $35.00" in reply
    reply = assistant.say(SAM, "no")
    assert "cancelled" in reply
    assert next(o for o in assistant.business.orders("C002") if o.id == "1005").refunded_cents == 0
    assert "declined" in assistant.events(SAM)


def test_a_refund_above_the_approval_limit_waits_for_a_manager(assistant: RunningAssistant) -> None:
    reply = assistant.say(JANE, "I want $700 back for order 1003")
    assert "needs approval from a senior member of our team" in reply and "Reply YES to send it for approval" in reply
    reply = assistant.say(JANE, "yes")
    assert "I've sent it to a senior member of our team for approval" in reply
    order = next(o for o in assistant.business.orders("C001") if o.id == "1003")
    assert order.refunded_cents == 0
    approval = [e for e in assistant.entries(JANE) if e.event == "approval_requested"][-1]
    assert approval.outcome == "approval" and any("above" in r for r in approval.reasons)
    assert assistant.approvals.for_pending(approval.pending_id).status == "pending"


def test_store_credit_asked_for_in_words_is_proposed_as_store_credit(assistant: RunningAssistant) -> None:
    # the model reads this as a balance question; the order and "store credit" make it a refund
    reply = assistant.say(PRIYA, "I'd like store credit for order 1006")
    assert reply.startswith("Add $260.00 of store credit to your Acme account for order 1006 (TV stand)"), reply
    assert "needs approval from a senior member of our team (2 refunds in the last 30 days)" in reply  # still a refund
    assert "cancelled" in assistant.say(PRIYA, "no")
    assert assistant.business.get_customer("C003").balance_cents == 3800


def _start_cancellation(assistant: RunningAssistant, phone: str) -> str:
    reply = assistant.say(phone, "please cancel my subscription")
    assert "6-digit code" in reply, reply
    return assistant.last_code(phone)


def test_a_cancellation_with_the_right_code_runs_once_rasa_never_has_the_code_and_a_replay_is_refused(assistant: RunningAssistant) -> None:
    code = _start_cancellation(assistant, SAM)
    reply = assistant.say(SAM, code)
    assert "cancelled" in reply.lower()
    assert assistant.business.subscriptions("C002")[0].status == "cancelled"
    assert_sealed_in_tracker(assistant.stack, "customer-C002", code)  # it answered the prompt: Rasa never had it
    reply = assistant.say(SAM, code)  # replayed: told what it did, not run again
    assert reply.startswith("About your earlier request:") and "cancelled" in reply.lower(), reply
    events = assistant.events(SAM)
    assert events.count("otp_verified") == 1 and events.count("executed") == 1
    assert events.count("answer_repeated") == 1


def test_three_wrong_codes_cancel_the_request(assistant: RunningAssistant) -> None:
    code = _start_cancellation(assistant, PRIYA)
    wrong = "000000" if code != "000000" else "111111"
    assert "2 tries left" in assistant.say(PRIYA, wrong)
    assert "1 try left" in assistant.say(PRIYA, wrong)
    assert "cancelled this request" in assistant.say(PRIYA, wrong)
    assistant.say(PRIYA, code)  # the right code, too late
    assert assistant.business.subscriptions("C003")[0].status == "active"
    assert "otp_locked" in assistant.events(PRIYA) and "executed" not in assistant.events(PRIYA)


def test_an_expired_code_is_refused(assistant: RunningAssistant) -> None:
    code = _start_cancellation(assistant, JANE)
    time.sleep(float(OTP_VALID_FOR.rstrip("s")) + 1)
    reply = assistant.say(JANE, code)
    assert "expired" in reply
    assert assistant.business.subscriptions("C001")[0].status == "active"
    assert "otp_expired" in assistant.events(JANE)
    assert "cancelled" in assistant.say(JANE, "no")


def test_asking_for_a_person_records_a_handoff(assistant: RunningAssistant) -> None:
    reply = assistant.say(BISTRO, "I want to talk to a real person")
    assert "specialist" in reply and "won't need to repeat" in reply
    handoff = assistant.handoffs.open_for(assistant.conversation(BISTRO))
    assert handoff is not None and handoff.topic == "customer_asked_for_human"
    pack = handoff.evidence
    assert "Harbor Bistro Ltd" in pack["summary"]
    assert pack["transcript"][-1]["speaker"] == "customer" and pack["transcript"][-1]["at"]
    assert pack["transcript"][-1]["text"] == "I want to talk to a real person"
    assert "handoff_requested" in assistant.events(BISTRO)


def test_a_number_that_is_no_customer_is_refused_and_nothing_is_recorded(assistant: RunningAssistant) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        assistant.say("+15550109999", "cancel my subscription")
    assert refused.value.code == 400
    assert "no customer has the phone number" in json.loads(refused.value.read())["error"]
    assert list(assistant.audit.entries("+15550109999")) == []


def test_the_rest_channel_speaks_as_a_customer_only_for_callers_holding_its_token(assistant: RunningAssistant) -> None:
    stack = assistant.stack
    body = json.dumps({"sender": "+15550100001", "message": "what's my balance?"}).encode()

    def post(headers: dict) -> int:
        return status_of(f"{stack.rasa_url}/webhooks/rest/webhook", body, headers)

    before = len(assistant.events("+15550100001"))
    assert post({}) == 401
    assert post({"Authorization": "Bearer not-the-token"}) == 401
    assert len(assistant.events("+15550100001")) == before  # the refused requests never reached the bot
    assert post({"Authorization": f"Bearer {stack.rest_token}"}) == 200
    assert len(assistant.events("+15550100001")) == before + 1


def test_the_action_server_answers_only_the_rasa_server(assistant: RunningAssistant) -> None:
    stack = assistant.stack
    body = json.dumps(action_call("action_account_balance", "customer-C001", "what's my balance?", "ask_balance")).encode()

    def post(headers: dict) -> int:
        return status_of(f"{stack.actions_url}/webhook", body, headers)

    before = len(assistant.events(JANE))
    assert post({}) == 401
    assert post({"Authorization": "Bearer not-the-secret"}) == 401
    assert len(assistant.events(JANE)) == before  # the made-up calls ran nothing
    assert "Acme account" in assistant.say(JANE, "what's my account balance?")  # Rasa holds the secret and gets through
    assert len(assistant.events(JANE)) == before + 1
