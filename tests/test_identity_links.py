"""A web chat visitor who says "I'm Jane" becomes Jane only with the code texted to Jane's phone.

Scenarios on the real assistant (demo business, real codes read from the development
outbox, a frozen clock): the right code links the visitor's chat and nothing else does, a
code confirms only the claim it was made for, and the visitor never learns whether a
number is on an account.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from actions.domain.identify import find_phone
from actions.domain.links import client_digest
from actions.domain.messaging import DeliveryFailed
from actions.domain.sessions import new_visitor_key
from tests.support.world import CLIENT_SECRET, JANE, SAM, World, make_world

VISITOR = new_visitor_key(lambda: "5f0c9a4e8d2b4c1e9a7f3b2d1c0e8f6a")
OTHER_VISITOR = new_visitor_key(lambda: "0123456789abcdef0123456789abcdef")
NO_ACCOUNT = "+15559990000"
SENT = ("If that number is on an Acme account, I've texted it a 6-digit code. Reply with the code to continue "
        "(it's valid for 5 minutes), or NO to cancel.")
WELCOME_JANE = "Thanks, Jane — this chat is now signed in to your account."
SCRIPT = "203.0.113.7"  # the network address a script's chats all come from
NEIGHBOUR = "198.51.100.20"
TOO_MANY_FROM_CLIENT = ("I've had as many sign-in requests from your network as I can take for now. Please try again "
                        "in an hour, or say 'agent' and a person will help you.")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def linked_to(world: World, visitor: str = VISITOR):
    link = world.services.links.linked(visitor)
    return link.customer_id if link else None


def balance_answer(world: World, visitor: str = VISITOR) -> str:
    return world.say(visitor, "what's my balance?", "ask_balance", channel="webchat")


def test_a_visitor_who_names_janes_number_is_texted_on_janes_phone_and_the_right_code_signs_the_chat_in(
    world: World,
) -> None:
    assert world.say(VISITOR, "I'm Jane, my number is +1 555 010 0001", "inform", channel="webchat") == SENT
    assert world.codes_sent(JANE) == 1 and linked_to(world) is None
    assert balance_answer(world).startswith("I can't see which Acme account is yours")  # a claim is not proof

    assert world.say(VISITOR, world.last_code(JANE), "provide_otp", channel="webchat") == WELCOME_JANE

    link = world.services.links.linked(VISITOR)
    assert link is not None and link.customer_id == "C001" and link.proof == "otp"
    assert link.verified_at == world.clock.now()
    assert world.events(VISITOR) == ["identity_link_requested", "otp_sent", "unknown_customer", "identity_linked"]
    requested = world.entries(VISITOR)[0]
    assert requested.detail["on_account"] is True and requested.detail["phone_ending"] == "0001"
    assert linked_to(world, OTHER_VISITOR) is None and world.services.links.linked(JANE) is None


@pytest.mark.parametrize("typed", [
    "+1 (555) 010-0001", "it's 001 555 010 0001 thanks", "15550100001", "call me on 1-555-010-0001.", "+15550100001",
])
def test_janes_number_in_any_usual_form_sends_the_code_to_the_phone_on_her_record(world: World, typed: str) -> None:
    assert world.say(VISITOR, typed, "nlu_fallback", 0.3) == SENT
    assert world.codes_sent(JANE) == 1
    assert world.say(VISITOR, world.last_code(JANE), "nlu_fallback", 0.3) == WELCOME_JANE


@pytest.mark.parametrize("text", ["order 1002 please", "my code is 123 456", "card 4242 4242 4242 4242",
                                  "on 2026-11-21", "refund $15,000 for order 1011"])
def test_order_numbers_codes_cards_dates_and_amounts_are_not_phone_numbers(text: str) -> None:
    assert find_phone(text) is None


def test_a_claim_with_yes_or_more_words_but_no_code_never_links(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    for text, intent in [("yes", "affirm"), ("it really is me, Jane Doe", "inform"), ("please just sign me in", "inform")]:
        world.say(VISITOR, text, intent)
    assert linked_to(world) is None
    assert balance_answer(world).startswith("I can't see which Acme account is yours")


def wrong_codes(world: World, visitor: str) -> List[str]:
    return [world.say(visitor, code, "provide_otp") for code in ("000000", "111111", "222222")]


def test_three_wrong_codes_stop_the_sign_in_and_the_right_code_after_them_does_nothing(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    right = world.last_code(JANE)

    assert wrong_codes(world, VISITOR) == [
        "That code isn't right. You have 2 tries left.",
        "That code isn't right. You have 1 try left.",
        "That's 3 wrong codes, so for your security I've stopped this sign-in and this chat isn't linked to any "
        "account. To try again, tell me the phone number on your account.",
    ]
    world.say(VISITOR, right, "provide_otp")
    assert linked_to(world) is None
    assert [e.detail["reason"] for e in world.entries(VISITOR) if e.event == "identity_link_failed"] == [
        "wrong", "wrong", "locked"]


def test_a_number_on_no_account_gets_the_same_replies_and_no_text(world: World) -> None:
    """Jane's number in one chat, a number nobody has in another: the visitor can't tell them apart."""
    janes = [world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")] + wrong_codes(world, VISITOR)
    nobodys = [world.say(OTHER_VISITOR, f"I'm Jane, my number is {NO_ACCOUNT}", "inform")] + wrong_codes(world, OTHER_VISITOR)

    assert nobodys == janes
    assert world.codes_sent(NO_ACCOUNT) == 0 and world.codes_sent(JANE) == 1
    assert linked_to(world, OTHER_VISITOR) is None
    requested = next(e for e in world.entries(OTHER_VISITOR) if e.event == "identity_link_requested")
    assert requested.customer_id is None and requested.detail["on_account"] is False


def test_a_code_that_arrives_after_five_minutes_has_expired_and_a_resent_one_works(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    late = world.last_code(JANE)
    world.clock.advance(minutes=5, seconds=1)

    assert world.say(VISITOR, late, "provide_otp") == "That code has expired. Reply RESEND for a new one, or NO to cancel."
    assert linked_to(world) is None
    assert world.say(VISITOR, "resend the code", "resend_code") == (
        "If that number is on an Acme account, I've texted it a new code; the previous one no longer works.")
    assert world.codes_sent(JANE) == 2
    assert world.say(VISITOR, late, "provide_otp").startswith("That code isn't right")
    assert world.say(VISITOR, world.last_code(JANE), "provide_otp") == WELCOME_JANE


def test_after_ten_minutes_the_sign_in_itself_has_expired(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    world.clock.advance(minutes=10)
    assert world.say(VISITOR, world.last_code(JANE), "provide_otp").startswith("That sign-in has expired")
    assert linked_to(world) is None


def test_no_cancels_the_sign_in_and_its_code_then_does_nothing(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    assert world.say(VISITOR, "no", "deny") == "No problem, I've stopped that. This chat isn't linked to any account."
    assert world.say(VISITOR, world.last_code(JANE), "provide_otp").startswith("There's no request waiting for a code")
    assert linked_to(world) is None


def test_a_code_confirms_only_the_claim_it_was_sent_for(world: World) -> None:
    """Two visitors claim Jane: each code links only the chat it was sent for."""
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    first = world.last_code(JANE)
    world.say(OTHER_VISITOR, "I'm Jane, my number is +15550100001", "inform")

    assert world.say(OTHER_VISITOR, first, "provide_otp").startswith("That code isn't right")
    assert world.say(VISITOR, first, "provide_otp") == WELCOME_JANE
    assert linked_to(world) == "C001" and linked_to(world, OTHER_VISITOR) is None


def test_a_step_up_code_of_janes_own_conversation_does_not_sign_a_visitor_in(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    world.clock.advance(seconds=1)
    world.say(JANE, "cancel my subscription", "cancel_subscription")
    assert world.say(VISITOR, world.last_code(JANE), "provide_otp").startswith("That code isn't right")
    assert linked_to(world) is None


def test_another_number_replaces_the_claim_and_the_first_code_stops_working(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    janes_code = world.last_code(JANE)
    assert world.say(VISITOR, "sorry, I'm Sam: +15550100002", "inform") == SENT

    assert world.say(VISITOR, janes_code, "provide_otp").startswith("That code isn't right")
    assert world.say(VISITOR, world.last_code(SAM), "provide_otp") == (
        "Thanks, Sam — this chat is now signed in to your account.")
    assert linked_to(world) == "C002"


def test_the_same_number_again_at_once_is_a_resend_with_its_wait_not_another_text(world: World) -> None:
    world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")
    assert world.say(VISITOR, "my number is +15550100001", "inform") == (
        "I've just sent a code. You can ask for a new one in 30 seconds.")
    assert world.codes_sent(JANE) == 1


def test_a_chat_that_keeps_naming_numbers_is_stopped_and_a_phone_is_texted_a_few_times_an_hour(world: World) -> None:
    numbers = ["+15550100001", "+15550100002", "+15550100003"]
    for number in numbers:
        assert world.say(VISITOR, f"my number is {number}", "inform") == SENT
    assert world.say(VISITOR, "my number is +15550100001", "inform").startswith(
        "I've sent as many codes as I can for this chat")

    chats = [new_visitor_key(lambda n=n: f"{n:032x}") for n in range(1, 5)]
    replies = [world.say(chat, "my number is +15550100002", "inform") for chat in chats]
    assert replies == [SENT] * 4  # the fourth chat is told the same, but Sam's phone is left alone
    assert world.codes_sent(SAM) == 3


def test_a_customers_own_conversation_naming_a_number_is_not_a_sign_in(world: World) -> None:
    assert world.say(JANE, "my number is +15550100002", "inform") != SENT
    assert world.codes_sent(SAM) == 0


class FailingSms:
    async def send_sms(self, to: str, body: str) -> str:
        raise DeliveryFailed("the provider is down")


def test_a_text_that_could_not_be_sent_looks_like_a_number_on_no_account(tmp_path: Path) -> None:
    world = make_world(tmp_path, sms=FailingSms())
    janes = [world.say(VISITOR, "I'm Jane, my number is +15550100001", "inform")] + wrong_codes(world, VISITOR)
    nobodys = [world.say(OTHER_VISITOR, f"my number is {NO_ACCOUNT}", "inform")] + wrong_codes(world, OTHER_VISITOR)
    assert janes == nobodys and linked_to(world) is None
    assert "otp_delivery_failed" in world.events(VISITOR)


def test_a_visitor_reporting_a_stolen_card_with_a_number_goes_to_a_person_not_into_a_sign_in(world: World) -> None:
    reply = world.say(VISITOR, "my card was stolen, there is fraud on my account, call me on +15550100001", "complaint",
                      channel="webchat")

    assert reply.startswith("I'm bringing in a specialist")
    ticket = world.services.handoffs.open_for(VISITOR)
    assert ticket is not None and ticket.priority == "urgent"
    assert world.codes_sent(JANE) == 0 and world.services.links.open_request(VISITOR) is None


def fresh_chats(count: int, start: int = 1) -> List[str]:
    """Visitor chats as a script opens them: every reload of the guest page is a new visitor id."""
    return [new_visitor_key(lambda n=n: f"{n:032x}") for n in range(start, start + count)]


def test_a_script_reloading_the_guest_page_gets_ten_sign_ins_an_hour_from_its_address_and_the_eleventh_texts_nothing(
    world: World,
) -> None:
    chats = fresh_chats(11)
    for chat in chats[:10]:  # on a number nobody has: Jane's own hourly codes are untouched so far
        assert world.say(chat, f"my number is {NO_ACCOUNT}", "inform", channel="webchat", client=SCRIPT) == SENT

    assert world.say(chats[10], "my number is +15550100001", "inform", channel="webchat",
                     client=SCRIPT) == TOO_MANY_FROM_CLIENT
    assert world.codes_sent(JANE) == 0
    assert world.services.links.open_request(chats[10]) is None
    refused = world.entries(chats[10])[-1]
    assert (refused.event, refused.detail["reason"]) == ("identity_link_refused", "too_many_requests_from_client")

    neighbour = fresh_chats(1, start=100)[0]  # another address is not held back by the script's
    assert world.say(neighbour, "my number is +15550100001", "inform", channel="webchat", client=NEIGHBOUR) == SENT
    assert world.codes_sent(JANE) == 1

    world.clock.advance(hours=1, seconds=1)
    later = fresh_chats(1, start=200)[0]
    assert world.say(later, "my number is +15550100001", "inform", channel="webchat", client=SCRIPT) == SENT


def test_addresses_in_one_ipv6_64_are_one_client(world: World) -> None:
    """One subscriber's line hands out a whole /64: a script picking a new address in it each time is still one client."""
    for n, chat in enumerate(fresh_chats(10), start=1):
        world.say(chat, f"my number is {NO_ACCOUNT}", "inform", channel="webchat", client=f"2001:db8:1:2::{n:x}")

    last = fresh_chats(1, start=50)[0]
    assert world.say(last, f"my number is {NO_ACCOUNT}", "inform", channel="webchat",
                     client="2001:db8:1:2:ffff::1") == TOO_MANY_FROM_CLIENT
    other_line = fresh_chats(1, start=60)[0]
    assert world.say(other_line, f"my number is {NO_ACCOUNT}", "inform", channel="webchat",
                     client="2001:db8:1:3::1") == SENT


def test_a_sign_in_request_keeps_a_keyed_hash_of_the_address_and_never_the_address(world: World) -> None:
    world.say(VISITOR, "my number is +15550100001", "inform", channel="webchat", client=SCRIPT)

    request = world.services.links.open_request(VISITOR)
    assert request is not None and request.client == client_digest(CLIENT_SECRET, SCRIPT)
    assert request.client != client_digest(b"another server's secret".ljust(32), SCRIPT)
    assert SCRIPT not in repr(request) and SCRIPT not in repr(world.entries(VISITOR))


def test_messages_from_a_channel_that_names_no_address_are_not_limited_by_address(world: World) -> None:
    for chat in fresh_chats(12):
        assert world.say(chat, f"my number is {NO_ACCOUNT}", "inform") == SENT
