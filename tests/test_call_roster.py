"""Whom to ring when a caller needs a person: the people available by phone, in the order that helps.

The floor: Ali and Bea are agents, Sofia is a senior, Marta a manager, Adam an admin. A ticket's
assignee knows the case, so they are rung first; then the people of the ticket's queue, then
those its queue escalates to (agent -> senior -> manager), at most ``voice.max_people`` of them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import List, Optional

import pytest

from actions.domain.policy import RiskPolicy, load_policy
from actions.domain.ticket import Ticket
from actions.settings import PROJECT_ROOT
from handoff.domain.call_roster import PhonePerson, call_refusal, queue_chain, whom_to_call
from handoff.domain.people import Role, User

POLICY = load_policy(PROJECT_ROOT / "bot" / "risk_policy.yml")
MONDAY_10AM = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # New York: the team is in
SUNDAY_NOON = datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc)


def person(username: str, role: Role, phone: Optional[str] = "+15550109999", available: bool = True,
           active: bool = True) -> PhonePerson:
    return PhonePerson(User(username, username.title(), role), phone, available, active)


FLOOR = [
    person("marta", Role.MANAGER, "+15550100301"), person("sofia", Role.SENIOR, "+15550100201"),
    person("bea", Role.AGENT, "+15550100102"), person("ali", Role.AGENT, "+15550100101"),
    person("adam", Role.ADMIN, "+15550100401"),
]


def ticket(queue: str = "agent", assignee: Optional[str] = None) -> Ticket:
    return Ticket(id="t1", conversation_id="voice:CA1", customer_id="C001", topic="request_human", priority="normal",
                  queue=queue, status="assigned" if assignee else "open", reasons=(), pending_id=None,
                  created_at=MONDAY_10AM, queued_at=MONDAY_10AM, assignee=assignee)


def names(people: List[PhonePerson]) -> List[str]:
    return [p.username for p in people]


@pytest.fixture
def policy() -> RiskPolicy:
    return POLICY


def test_an_agent_queue_ticket_rings_its_agents_then_the_senior_capped_at_three(policy: RiskPolicy) -> None:
    assert names(whom_to_call(ticket("agent"), FLOOR, policy, MONDAY_10AM)) == ["ali", "bea", "sofia"]


def test_the_person_who_has_the_ticket_is_rung_first(policy: RiskPolicy) -> None:
    assert names(whom_to_call(ticket("agent", assignee="sofia"), FLOOR, policy, MONDAY_10AM)) == ["sofia", "ali", "bea"]


def test_a_senior_queue_ticket_never_rings_an_agent_who_cannot_see_it(policy: RiskPolicy) -> None:
    assert names(whom_to_call(ticket("senior"), FLOOR, policy, MONDAY_10AM)) == ["sofia", "marta"]


def test_admins_take_no_calls_even_when_they_say_they_are_available(policy: RiskPolicy) -> None:
    only_adam = [person("adam", Role.ADMIN)]
    assert whom_to_call(ticket("manager"), only_adam, policy, MONDAY_10AM) == []
    assert call_refusal(Role.ADMIN) and call_refusal(Role.AGENT) is None


def test_nobody_without_a_proven_number_unavailable_or_disabled_is_rung(policy: RiskPolicy) -> None:
    floor = [person("ali", Role.AGENT, phone=None), person("bea", Role.AGENT, available=False),
             person("cem", Role.AGENT, active=False), person("dina", Role.AGENT)]
    assert names(whom_to_call(ticket("agent"), floor, policy, MONDAY_10AM)) == ["dina"]


def test_people_already_rung_for_this_transfer_are_skipped_and_count_towards_the_cap(policy: RiskPolicy) -> None:
    assert names(whom_to_call(ticket("agent"), FLOOR, policy, MONDAY_10AM, tried=["ali"])) == ["bea", "sofia"]
    assert whom_to_call(ticket("agent"), FLOOR, policy, MONDAY_10AM, tried=["ali", "bea", "sofia"]) == []


def test_a_larger_cap_reaches_the_manager_at_the_end_of_the_chain(policy: RiskPolicy) -> None:
    wider = replace(policy, voice=replace(policy.voice, max_people=10))
    assert names(whom_to_call(ticket("agent"), FLOOR, wider, MONDAY_10AM)) == ["ali", "bea", "sofia", "marta"]
    assert queue_chain("agent", policy.inbox.escalate) == ["agent", "senior", "manager"]


def test_nobody_is_rung_outside_opening_hours(policy: RiskPolicy) -> None:
    assert whom_to_call(ticket("agent"), FLOOR, policy, SUNDAY_NOON) == []
    assert whom_to_call(ticket("agent"), FLOOR, policy, MONDAY_10AM + timedelta(hours=10)) == []  # 8 pm
