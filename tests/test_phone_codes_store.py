"""The store of approval codes texted to people, on SQLite and PostgreSQL, where two inbox processes
race: the same new request noticed by both, the same code checked twice at once, one phone on
two profiles. PostgreSQL runs in a throwaway schema, skipped only when no server answers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.store.tables import DeliveryRow
from handoff.domain.people import Role, User
from handoff.domain.phone_approvals import USED, PhoneCode
from handoff.phone_codes import PhoneProfile, SqlPhoneCodes, notice_row
from handoff.store import InboxStore
from tests.support.databases import migrated_engine
from tests.support.race import race, race_between
from tests.support.world import START


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(request.param, tmp_path, "phone_codes") as engine:
        store = InboxStore(engine)
        for username, role in (("maria", Role.MANAGER), ("david", Role.MANAGER)):
            store.add_user(User(username, username.title(), role), "x", START)
        yield engine


def marias_code(code_id: str) -> PhoneCode:
    return PhoneCode(code_id, "approval-1", "maria", f"hash-{code_id}", START, START + timedelta(minutes=30))


def test_two_processes_noticing_the_same_request_text_the_person_once(engine: Engine) -> None:
    codes = SqlPhoneCodes(engine)
    notice = lambda: notice_row("staff-maria", "sms", {"text": "notice"}, START)  # noqa: E731

    added = race_between(lambda: codes.add(marias_code("c1"), notice()), lambda: codes.add(marias_code("c2"), notice()))

    assert sorted(added) == [False, True]
    assert codes.noticed("approval-1") == {"maria"}
    with Session(engine) as session:
        assert len(list(session.exec(select(DeliveryRow)))) == 1  # the loser's notice went with its code


def test_a_code_checked_twice_at_once_is_used_once(engine: Engine) -> None:
    codes = SqlPhoneCodes(engine)
    code = marias_code("c1")
    codes.add(code)

    assert sorted(race(2, lambda: codes.move(code, PhoneCode(**{**vars(code), "status": USED})))) == [False, True]
    assert codes.code("c1").status == USED  # type: ignore[union-attr]


def test_one_phone_belongs_to_one_person(engine: Engine) -> None:
    codes = SqlPhoneCodes(engine)
    assert codes.set_profile("maria", PhoneProfile("+15550100101", "sms", True))

    assert not codes.set_profile("david", PhoneProfile("+15550100101", "whatsapp", True))
    assert codes.profile("david") == PhoneProfile(None, "sms", False)
    assert [person.user.username for person in codes.on_duty()] == ["maria"]
