"""Rasa's own checks on the project: the data validates and every tier's test stories pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.model import CONFIG, DATA, DOMAIN, ROOT

pytestmark = pytest.mark.slow
RASA = str(Path(sys.executable).parent / "rasa")


def test_training_data_validates_without_warnings() -> None:
    result = subprocess.run(
        [RASA, "data", "validate", "--domain", str(DOMAIN), "--data", str(DATA), "--config", str(CONFIG), "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_test_stories_for_every_tier_pass_end_to_end(trained_model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [RASA, "test", "core", "--e2e", "--model", str(trained_model), "--stories", str(DATA / "test_stories.yml"),
         "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True,
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] + result.stdout[-2000:] + result.stderr[-2000:]
