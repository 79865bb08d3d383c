"""A whole stack for a test module: Rasa, the action server and the inbox on free ports.

``HITL_TEST_STACK=scale-out`` (``make test-scale-out``) starts the scaled-out stack instead
(``bot/scaleout.py``: nginx in front of two of every server, on PostgreSQL, Redis and RabbitMQ),
on databases of its own that are dropped afterwards; the tests read its state through the
stack's ``database_url`` and ``business_database_url`` either way.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bot.scaleout import ScaledStack
from bot.stack import Stack, free_port
from devtools.fake_twilio import FakeTwilio

#: The shop's number on a test's fake Twilio (texts and calls).
SHOP_NUMBER = "+15005550006"


SCALED_OUT = os.environ.get("HITL_TEST_STACK", "") == "scale-out"


def new_stack(data_dir: Path, model: Path, **options: Any) -> Stack:
    """A stack on free ports (not started): the embedded default, or the scaled-out one if asked."""
    ports = {"rasa_port": free_port(), "actions_port": free_port(), "inbox_port": free_port()}
    if SCALED_OUT:
        return ScaledStack(data_dir=data_dir, model=model, quiet=True, drop_on_stop=True, **ports, **options)
    return Stack(data_dir=data_dir, model=model, quiet=True, **ports, **options)


@contextmanager
def running_stack(data_dir: Path, model: Path, *, fake_twilio: bool = False, **options: Any) -> Iterator[Stack]:
    """The stack started on ``data_dir`` (with the fake Twilio and its demo phone if asked), stopped afterwards."""
    stack = new_stack(data_dir, model, fake_twilio_port=free_port() if fake_twilio else None, **options)
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
    stack = new_stack(data_dir, model, env={**twilio, **env})
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
