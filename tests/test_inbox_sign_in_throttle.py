"""Password guessing against the real inbox: real HTTP, the tries counted in its database.

A guesser who sends many wrong passwords at the same moment, restarts nothing but waits for
a deploy, or spreads the guesses over two inbox processes still gets at most five passwords
checked per username in fifteen minutes; everyone else signs in as usual. Passwords checked
are counted at ``handoff.auth.check_password``, the one place a password is ever compared.
"""

from __future__ import annotations

import re
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from handoff import auth
from tests.support.inbox import PASSWORDS, Inbox, running_inbox
from tests.support.postgres import postgres_schema_url
from tests.support.race import race_between

WAIT = "Too many wrong passwords for this username: try again in 15 minutes."


def login_error(login_page: str) -> str:
    found = re.search(r'data-testid="login-error">([^<]*)<', login_page)
    assert found, "the login page has no error line"
    return found.group(1)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Every password the inbox compares from now on (the attempted passwords, in order)."""
    seen: List[str] = []
    lock = threading.Lock()
    check = auth.check_password

    def counting(password: str, stored: str) -> bool:
        with lock:
            seen.append(password)
        return check(password, stored)

    monkeypatch.setattr(auth, "check_password", counting)
    return seen


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest) -> Iterator[Dict[str, str]]:
    """The inbox's own SQLite file in its data directory, or a throwaway PostgreSQL schema."""
    with ExitStack() as stack:
        if request.param == "postgresql":
            yield {"DATABASE_URL": stack.enter_context(postgres_schema_url("throttle_app"))}
        else:
            yield {}


def test_twelve_wrong_passwords_sent_at_once_get_five_checked_and_seven_told_to_wait(
        database_env: Dict[str, str], tmp_path: Path, checked: List[str]) -> None:
    with running_inbox(tmp_path, **database_env) as inbox:
        guesses = [inbox.filled_login("david", f"guess-{n:02d}") for n in range(12)]

        answers = race_between(*guesses)

        assert sorted(answer.status_code for answer in answers) == [401] * 5 + [429] * 7
        assert len(checked) == 5
        assert {login_error(answer.text) for answer in answers if answer.status_code == 429} == {WAIT}
        assert inbox.submit_login("maria", PASSWORDS["maria"]).status_code == 302  # other people are not held up


def five_wrong_passwords(inbox: Inbox, username: str = "david") -> None:
    for _ in range(5):
        assert inbox.submit_login(username, "guessing-123").status_code == 401


def test_after_a_restart_the_username_still_waits(tmp_path: Path, checked: List[str]) -> None:
    with running_inbox(tmp_path) as before:
        five_wrong_passwords(before)

    with running_inbox(tmp_path) as after:
        blocked = after.submit_login("david", PASSWORDS["david"])

    assert blocked.status_code == 429
    assert login_error(blocked.text) == WAIT
    assert PASSWORDS["david"] not in checked


def test_two_inboxes_on_one_database_share_the_count(tmp_path: Path, checked: List[str]) -> None:
    with running_inbox(tmp_path) as first, running_inbox(tmp_path) as second:
        for inbox in (first, second, first, second, first):
            assert inbox.submit_login("david", "guessing-123").status_code == 401

        answers = [first.submit_login("david", PASSWORDS["david"]), second.submit_login("david", PASSWORDS["david"])]

        assert [answer.status_code for answer in answers] == [429, 429]
        assert len(checked) == 5
        assert second.submit_login("maria", PASSWORDS["maria"]).status_code == 302


def test_the_right_password_clears_the_count(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox:
        for _ in range(4):
            assert inbox.submit_login("david", "guessing-123").status_code == 401
        assert inbox.submit_login("david", PASSWORDS["david"]).status_code == 302

        five_wrong_passwords(inbox)
        assert inbox.submit_login("david", PASSWORDS["david"]).status_code == 429
