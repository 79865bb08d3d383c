"""A whole stack for a test module: Rasa, the action server and the inbox on free ports."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bot.stack import Stack, free_port


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
