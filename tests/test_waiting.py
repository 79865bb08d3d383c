"""A customer waiting for a person: where they stand in the queue, who joined, and saying they no longer need help."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from actions.domain.pending import Stage
from actions.domain.waiting import StatusLine, is_withdrawal, joined_line
from tests.support.world import JANE, PRIYA, SAM, World, make_world, memory_stores, sql_stores

IN_HOURS = datetime(2026, 11, 21, 15, 0, tzinfo=timezone.utc)  # Saturday 21 November, 10 am in New York


@pytest.fixture(params=[memory_stores, sql_stores], ids=["memory", "sqlite"])
def world(tmp_path: Path, request: pytest.FixtureRequest) -> World:
    """A Saturday at 10 am in New York: the customer care team is in (09:00-17:00 on Saturdays)."""
    made = make_world(tmp_path, stores=request.param)
    made.clock.current = IN_HOURS
    return made


def handed_over(world: World, who: str, text: str = "I want to talk to a person", intent: str = "request_human") -> StatusLine:
    world.clock.advance(seconds=30)  # customers come in one after another
    replies = world.replies(who, text, intent)
    lines = [r for r in replies if isinstance(r, StatusLine)]
    assert len(lines) == 1 and lines[0].status == "queued", replies
    return lines[0]


def test_a_customer_handed_to_a_person_is_told_their_place_in_the_queue_and_the_longest_wait(world: World) -> None:
    assert str(handed_over(world, JANE)) == (
        "You're next in the queue for our customer care team. Expected wait: up to 1 hour.")
    assert str(handed_over(world, SAM)) == (
        "You're in the queue for our customer care team, with 1 person ahead of you. Expected wait: up to 1 hour.")
    assert "2 people ahead of you" in handed_over(world, PRIYA)


def test_early_on_a_saturday_the_customer_is_told_the_team_is_back_at_9_not_an_expected_wait(world: World) -> None:
    world.clock.current = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)  # 7 am in New York

    assert str(handed_over(world, JANE)) == (
        "You're next in the queue for our customer care team. "
        "Our team is away right now and back today at 9 am: they'll reply here then.")


def test_on_a_saturday_evening_the_customer_hears_the_team_is_back_on_monday(world: World) -> None:
    world.clock.current = datetime(2026, 11, 21, 23, 0, tzinfo=timezone.utc)  # 6 pm, closed until Monday 8 am

    line = handed_over(world, SAM)

    assert line.endswith("Our team is away right now and back Monday at 8 am: they'll reply here then.")
    assert "Expected wait" not in line
    assert world.services.handoffs.open_for(SAM) is not None  # the ticket waits in the queue all the same


def test_on_christmas_eve_after_closing_the_team_is_back_on_saturday_not_on_christmas_day(world: World) -> None:
    world.clock.current = datetime(2026, 12, 25, 2, 0, tzinfo=timezone.utc)  # 9 pm on Thursday 24 December

    assert "back Saturday at 9 am" in handed_over(world, PRIYA)


def test_an_urgent_case_is_promised_the_shorter_wait_of_its_priority(world: World) -> None:
    line = handed_over(world, JANE, "my card was stolen, there is fraud on my account", "complaint")
    assert "Expected wait: up to 5 minutes." in line
    assert "You're next" in handed_over(world, SAM, "I'm going to sue you", "ask_legal")  # the senior queue is empty


def test_the_customer_withdraws_and_the_ticket_closes_as_withdrawn_audited_and_the_bot_is_back(world: World) -> None:
    handed_over(world, JANE)
    ticket = world.services.handoffs.open_for(JANE)
    assert ticket is not None

    reply = world.say(JANE, "I no longer need help", "deny")

    assert reply.startswith("Okay, I've let our customer care team know you no longer need help")
    assert world.services.handoffs.open_for(JANE) is None
    [closed] = [t for t in world.services.handoffs.for_customer("C001") if t.id == ticket.id]
    assert (closed.status, closed.outcome) == ("closed", "withdrawn")
    assert "handoff_withdrawn" in world.events(JANE)
    assert world.services.handoffs.take_untold(JANE) is None  # nothing to tell at a hand-back: she asked for it
    assert "Order 1002" in world.say(JANE, "where is my order 1002?", "ask_order_status", order_id="1002")


def test_a_request_held_for_people_is_cancelled_when_the_customer_withdraws_so_nothing_runs_later(world: World) -> None:
    world.say(JANE, "I want a refund of $20 for order 1001", "request_refund")
    world.say(JANE, "actually let me talk to a person about it", "request_human")
    ticket = world.services.handoffs.open_for(JANE)
    assert ticket is not None and ticket.pending_id
    assert world.services.pendings.get(ticket.pending_id).stage is Stage.WITH_AGENT

    world.say(JANE, "never mind, I'm fine", "deny")

    assert world.services.pendings.get(ticket.pending_id).stage is Stage.CANCELLED
    assert "pending_withdrawn" in world.events(JANE) and world.executions() == []


def test_words_that_merely_mention_help_go_to_the_people_not_a_withdrawal(world: World) -> None:
    handed_over(world, JANE)
    assert world.say(JANE, "I need help with my refund, please hurry", "request_refund") == ""
    assert world.services.handoffs.open_for(JANE) is not None


@pytest.mark.parametrize("text, withdrawing", [
    ("I no longer need help", True), ("i don't need help anymore", True), ("I don't need a person any more", True),
    ("never mind, I'm fine", True), ("I've sorted it out", True), ("cancel my request for a person", True),
    ("I no longer need help, thanks!", True), ("I don\u2019t need help anymore", True),
    ("I need help", False), ("do not cancel", False), ("I still need help!", False), ("", False),
    ("I don't need someone reading a script, I need my money back!", False),
    ("I do not need help finding it, it was stolen", False), ("i dont need an agent now, give me my refund", False),
])
def test_what_counts_as_no_longer_needing_help(text: str, withdrawing: bool) -> None:
    assert is_withdrawal(text) is withdrawing


def test_the_line_when_someone_joins_names_them_by_first_name() -> None:
    line = joined_line("Ali Khan")
    assert (str(line), line.status) == ("Ali from Acme customer care joined the conversation.", "joined")


def test_a_waiting_customer_whose_card_was_stolen_is_moved_up_to_urgent(world: World) -> None:
    handed_over(world, SAM)
    assert world.say(SAM, "my card was stolen", "inform") == ""  # to the people, silently

    assert world.services.handoffs.open_for(SAM).priority == "urgent"
