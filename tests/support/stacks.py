"""A whole stack for a test module: Rasa, the action server and the inbox on free ports."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bot.stack import Stack, free_port
from devtools.fake_twilio import FakeTwilio

#: The shop's number on a test's fake Twilio (texts and calls).
SHOP_NUMBER = "+15005550006"


@contextmanager
def running_stack(data_dir: Path, model: Path, *, fake_twilio: bool = False, **options: Any) -> Iterator[Stack]:
    """The stack started on ``data_dir`` (with the fake Twilio and its demo phone if asked), stopped afterwards."""
    stack = Stack(data_dir=data_dir, model=model, rasa_port=free_port(), actions_port=free_port(),
                  inbox_port=free_port(), fake_twilio_port=free_port() if fake_twilio else None, quiet=True,
                  **options)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@contextmanager
def stack_on(fake: FakeTwilio, data_dir: Path, model: Path, **env: str) -> Iterator[Stack]:
    """The stack with its Twilio settings pointing at ``fake``, an in-process fake Twilio the test
    drives itself (texts, calls, how each person's phone answers), stopped afterwards."""
    twilio = {"TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
              "TWILIO_FROM_NUMBER": SHOP_NUMBER, "TWILIO_BASE_URL": fake.base_url}
    stack = Stack(data_dir=data_dir, model=model, rasa_port=free_port(), actions_port=free_port(),
                  inbox_port=free_port(), env={**twilio, **env}, quiet=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
