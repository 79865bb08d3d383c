"""The people who sign in to the inbox, beyond the demo logins.

    python -m handoff.users add noor --name "Noor Haddad" --role agent
    python -m handoff.users list
    python -m handoff.users disable noor

It works on the inbox's own database, found exactly as the inbox finds it (``DATABASE_URL``,
``HITL_DATABASE_URL``, or ``hitl.db`` in ``HITL_DATA_DIR``). ``add`` asks for the password twice,
or reads it from ``INBOX_NEW_PASSWORD`` for scripts. ``disable`` stops the login and ends the
person's sessions at once; pages they still have open close within a minute.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from datetime import datetime, timezone
from typing import Callable, List, Mapping, Optional

from actions.domain.policy import PolicyError
from actions.settings import Settings, SettingsError
from actions.store.database import make_engine
from handoff.domain.people import Role, User
from handoff.passwords import hash_password
from handoff.store import InboxStore

MIN_PASSWORD = 12
PASSWORD_VARIABLE = "INBOX_NEW_PASSWORD"
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class Refused(Exception):
    """The command can't do what was asked; the message says why."""


def main(argv: Optional[List[str]] = None, env: Mapping[str, str] = os.environ) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(env)
    except (SettingsError, PolicyError) as problem:
        print(f"the inbox's settings are wrong: {problem}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)  # brings a new database to the latest migration
    try:
        store = InboxStore(engine)
        if args.command == "add":
            add(store, args.username, args.name, Role(args.role), lambda: _password(env, args.username))
        elif args.command == "list":
            for user in store.users():
                print(f"{user.username:<20} {user.role.value:<8} {user.name}")
        else:
            disable(store, args.username)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def add(store: InboxStore, username: str, name: str, role: Role, ask_password: Callable[[], str]) -> None:
    """Add a login; the password is asked for once the rest is known to be fine."""
    username, name = username.strip().lower(), name.strip()
    if not USERNAME.fullmatch(username):
        raise Refused("a username is up to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
    if not name:
        raise Refused("give the person's full name with --name")
    password = ask_password()
    if len(password) < MIN_PASSWORD:
        raise Refused(f"the password needs at least {MIN_PASSWORD} characters")
    if not store.add_user(User(username, name, role), hash_password(password), datetime.now(timezone.utc)):
        raise Refused(f"the username {username} is taken (a disabled login keeps its name)")
    print(f"added {username} ({name}, {role.value})")


def disable(store: InboxStore, username: str) -> None:
    username = username.strip().lower()
    if not store.set_active(username, False):
        raise Refused(f"there is no user {username}")
    ended = store.close_sessions_of(username)
    print(f"disabled {username}; {ended} session{'' if ended == 1 else 's'} ended")


def _password(env: Mapping[str, str], username: str) -> str:
    given = env.get(PASSWORD_VARIABLE)
    if given:
        return given
    password = getpass.getpass(f"Password for {username} (at least {MIN_PASSWORD} characters): ")
    if len(password) >= MIN_PASSWORD and getpass.getpass("The same password again: ") != password:
        raise Refused("the two passwords differ; nothing was added")
    return password


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m handoff.users", description="The people who sign in to the inbox.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_command = commands.add_parser("add", help=f"add a login (password asked for, or from {PASSWORD_VARIABLE})")
    add_command.add_argument("username")
    add_command.add_argument("--name", required=True, help="the person's full name, as the inbox shows it")
    add_command.add_argument("--role", required=True, choices=[role.value for role in Role])
    commands.add_parser("list", help="who can sign in")
    disable_command = commands.add_parser("disable", help="stop a login and end its sessions")
    disable_command.add_argument("username")
    return parser


if __name__ == "__main__":
    sys.exit(main())
