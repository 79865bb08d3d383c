"""The shared inbox started for real on PostgreSQL: its tables, its people and its timers live there.

The inbox runs as in ``test_inbox_app`` (real HTTP, ``HITL_DEMO=1``, Rasa on a closed port), but
with ``DATABASE_URL`` on a throwaway PostgreSQL schema reached through the URL's search_path, and
the other files (the demo business, the OTP pepper) in a temporary directory. Everything it keeps
must land in that schema: the migrated tables, the sessions and audit records, and the SLA timers
APScheduler persists. Nothing may land in ``public``, and the schema is dropped afterwards.
"""

from __future__ import annotations

import json
import pickle
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, List

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from actions.store import migrate
from actions.store.schema import store_metadata
from handoff.demo_users import DEMO_USERS
from handoff.timers import JOBS_TABLE
from tests.support.inbox import PASSWORDS, Inbox, Person, running_inbox
from tests.support.postgres import POSTGRES_URL, postgres_schema_url
from tests.support.waiting import eventually

#: Every table the inbox makes: what would turn up in ``public`` if it ignored the search_path.
ITS_TABLES = frozenset(store_metadata().tables) | {"alembic_version", JOBS_TABLE}
FIRE_TICKET = "handoff.timers:fire_ticket"


@dataclass(frozen=True)
class Timer:
    """One row of APScheduler's job table, decoded."""

    job_id: str
    fires_at: datetime
    func: str
    args: tuple


@dataclass(frozen=True)
class Schema:
    """A throwaway schema, read from outside with table names qualified by it (never via search_path)."""

    url: str
    name: str
    admin: Engine

    def rows(self, sql: str, **params: Any) -> List[Dict[str, Any]]:
        with self.admin.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql.replace("{schema}", f'"{self.name}"')),
                                                                     params)]

    def timers(self) -> List[Timer]:
        """The tickets' and approvals' timers (not the inbox's own minute-by-minute sweep)."""
        rows = self.rows(f"SELECT id, next_run_time, job_state FROM {{schema}}.{JOBS_TABLE} "
                         "WHERE id LIKE 'ticket:%' OR id LIKE 'approval:%' ORDER BY id")
        return [_timer(row) for row in rows]

    def timers_of(self, ticket_id: str) -> List[Timer]:
        return [timer for timer in self.timers() if timer.job_id == f"ticket:{ticket_id}"]


def _timer(row: Dict[str, Any]) -> Timer:
    state = pickle.loads(row["job_state"])  # noqa: S301 - our own job table
    return Timer(row["id"], datetime.fromtimestamp(row["next_run_time"], timezone.utc), state["func"],
                 tuple(state["args"]))


def _public_tables(admin: Engine) -> FrozenSet[str]:
    return frozenset(inspect(admin).get_table_names(schema="public")) & ITS_TABLES


def _public_jobs(admin: Engine, job_ids: FrozenSet[str]) -> List[str]:
    if JOBS_TABLE not in _public_tables(admin):
        return []
    with admin.connect() as connection:
        found = connection.execute(text(f"SELECT id FROM public.{JOBS_TABLE}")).scalars()
        return sorted(set(found) & job_ids)


@contextmanager
def throwaway_schema(prefix: str) -> Iterator[Schema]:
    """A schema for one inbox's data; afterwards it is gone and ``public`` holds nothing of ours."""
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with postgres_schema_url(prefix) as url:
            public_before = _public_tables(admin)
            schema = Schema(url, make_url(url).query["options"].split("search_path=", 1)[1], admin)
            yield schema
            ours = frozenset(f"{kind}:{row['id']}" for kind, table in (("ticket", "handoff_requests"),
                                                                        ("approval", "approval_requests"))
                             for row in schema.rows(f"SELECT id FROM {{schema}}.{table}"))
        assert schema.name not in inspect(admin).get_schema_names(), "the throwaway schema was not dropped"
        assert _public_tables(admin) == public_before, "the inbox made tables in public"
        assert _public_jobs(admin, ours) == [], "the inbox put its timers in public"
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def schema() -> Iterator[Schema]:
    with throwaway_schema("inbox_pg") as made:
        yield made


@pytest.fixture(scope="module")
def inbox(schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("inbox-pg"), DATABASE_URL=schema.url) as started:
        yield started


def listed(person: Person) -> List[str]:
    answer = person.get("/api/tickets")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()]


def claim_timer_of(schema: Schema, ticket_id: str) -> Timer:
    eventually(lambda: len(schema.timers_of(ticket_id)) == 1, 10, f"the claim timer of ticket {ticket_id} was stored")
    return schema.timers_of(ticket_id)[0]


# -- scenarios ------------------------------------------------------------------------------------


def test_starting_on_postgres_brings_its_schema_to_the_latest_migration(inbox: Inbox, schema: Schema) -> None:
    versions = schema.rows("SELECT version_num FROM {schema}.alembic_version")
    tables = set(inspect(schema.admin).get_table_names(schema=schema.name))

    assert versions == [{"version_num": migrate.head_revision()}]
    assert ITS_TABLES <= tables, f"missing from the schema: {sorted(ITS_TABLES - tables)}"
    assert migrate.schema_differences(inbox.engine) == []


def test_every_demo_person_signs_in_and_the_sign_in_is_audited_in_postgres(inbox: Inbox, schema: Schema) -> None:
    for username, name, role, _ in DEMO_USERS:
        me = inbox.sign_in(username).get("/api/me")
        assert me.status_code == 200, me.text
        assert (me.json()["username"], me.json()["name"], me.json()["role"]) == (username, name, role.value)

    signed_in = {row["actor"] for row in schema.rows("SELECT actor FROM {schema}.audit_log WHERE event = 'signed_in'")}
    assert signed_in == {f"{role.value}:{username}" for username, _, role, _ in DEMO_USERS}
    assert len(schema.rows("SELECT token_hash FROM {schema}.inbox_sessions")) >= len(DEMO_USERS)


def test_a_ticket_from_the_bot_is_listed_and_its_claim_timer_is_a_row_in_the_schema(inbox: Inbox, schema: Schema) -> None:
    ticket_id = inbox.new_ticket()  # through the action server's SqlHandoffQueue, on the same URL
    ali = inbox.sign_in("ali")

    assert ticket_id in listed(ali)
    ticket = ali.ticket(ticket_id)
    timer = claim_timer_of(schema, ticket_id)
    assert (timer.func, timer.args) == (FIRE_TICKET, (ticket_id, ticket["version"], "escalate"))
    assert timer.fires_at == datetime.fromisoformat(ticket["sla"]["due_at"])  # an hour after it was queued


def test_claiming_through_the_api_is_audited_in_postgres_and_moves_the_timer_to_the_reply(inbox: Inbox,
                                                                                         schema: Schema) -> None:
    ticket_id = inbox.new_ticket()
    ali = inbox.sign_in("ali")
    claim_timer_of(schema, ticket_id)

    answer = ali.post(f"/api/tickets/{ticket_id}/claim", {"version": ali.ticket(ticket_id)["version"]})

    assert answer.status_code == 200, answer.text
    claimed = answer.json()
    assert (claimed["status"], claimed["assignee"]) == ("assigned", "ali")
    audit = schema.rows("SELECT actor, detail_json FROM {schema}.audit_log WHERE event = 'ticket_claimed'")
    assert [row["actor"] for row in audit if json.loads(row["detail_json"])["ticket_id"] == ticket_id] == ["agent:ali"]
    reply_due = datetime.fromisoformat(claimed["sla"]["due_at"])
    remind = (FIRE_TICKET, (ticket_id, claimed["version"], "remind"), reply_due - timedelta(minutes=2))
    eventually(lambda: [(t.func, t.args, t.fires_at) for t in schema.timers_of(ticket_id)] == [remind], 10,
               "the claim timer became the reply reminder")


def test_a_restarted_inbox_finds_the_timer_in_postgres_and_keeps_exactly_one(tmp_path: Path) -> None:
    with throwaway_schema("inbox_pg_restart") as restart:
        with running_inbox(tmp_path, DATABASE_URL=restart.url) as first:
            ticket_id = first.new_ticket()
            before = claim_timer_of(restart, ticket_id)
        assert restart.timers() == [before]  # stopping the inbox keeps its timers

        with running_inbox(tmp_path, DATABASE_URL=restart.url) as second:
            ali = second.sign_in("ali")  # answered once the restart reconciled the timers
            assert ticket_id in listed(ali)
            assert restart.timers() == [before]

            answer = ali.post(f"/api/tickets/{ticket_id}/claim", {"version": ali.ticket(ticket_id)["version"]})
            assert answer.status_code == 200, answer.text
            eventually(lambda: [t.args[2] for t in restart.timers()] == ["remind"], 10,
                       "the restarted inbox's scheduler moved the timer it found")


def test_a_nul_character_anywhere_a_person_can_type_is_a_4xx_never_a_500(inbox: Inbox) -> None:
    """PostgreSQL refuses NUL in text (psycopg2 raises ValueError): it must never get that far."""
    for username, password in (("ali\x00", PASSWORDS["ali"]), ("\x00", "guessing-123"), ("ali", PASSWORDS["ali"] + "\x00")):
        answer = inbox.submit_login(username, password)
        assert answer.status_code == 401, answer.text
        assert 'data-testid="login-error">Wrong username or password.<' in answer.text
        assert "inbox_session" not in answer.cookies
    maria = inbox.sign_in("maria")
    ticket_id = inbox.new_ticket()
    version = maria.ticket(ticket_id)["version"]

    answers = {
        "ticket": maria.get("/api/tickets/%00"),
        "claim": maria.post(f"/api/tickets/{ticket_id[:8]}%00/claim", {"version": 1}),
        "approval": maria.get("/api/approvals/a%00b"),
        "assign": maria.post(f"/api/tickets/{ticket_id}/assign", {"version": version, "username": "ali\x00"}),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "ticket": 404, "claim": 404, "approval": 404, "assign": 400}
    assert answers["ticket"].json() == {"error": "there is no ticket with that id"}
    assert answers["assign"].json() == {"error": "text must not contain NUL characters"}
    assert maria.ticket(ticket_id)["version"] == version
