"""The trained Rasa model, shared by every test folder that starts the real stack (e2e, browser).

Registered as a plugin in ``tests/conftest.py``, so the session-scoped fixture is one fixture
for the whole run: the model is looked up (or trained) once however many folders use it,
and the run's summary says which happened.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List

import pytest

from bot.model import ensure_model, model_path

#: Lines for the end-of-run summary: whether this run trained the model, and how long it took.
MODEL_REPORT: List[str] = []


@pytest.fixture(scope="session")
def trained_model() -> Path:
    started = time.monotonic()
    fresh = not model_path().exists()
    path = ensure_model()
    verb = "trained" if fresh else "reused"
    MODEL_REPORT.append(f"Rasa model {path.name} {verb} in {time.monotonic() - started:.0f} s")
    return path
