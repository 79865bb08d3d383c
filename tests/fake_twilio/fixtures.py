"""A pytest fixture for the fake: ``from tests.fake_twilio.fixtures import fake_twilio``."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.fake_twilio.server import FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake
