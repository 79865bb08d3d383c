"""A pytest fixture for the fake: ``from tests.support.fake_twilio import fake_twilio``."""

from __future__ import annotations

from typing import Iterator

import pytest

from devtools.fake_twilio.server import FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake
