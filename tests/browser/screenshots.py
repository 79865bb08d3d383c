"""Named full-page screenshots of a browser test, in ``artifacts/screenshots/<test>-<step>.png``.

A failing browser test is read from its pictures: the ``page`` fixture registers the test's
name, ``snap(page, "step")`` saves a step, and the fixture saves a last one on teardown.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

_test_names: Dict[int, str] = {}


def register(page: Page, test_name: str) -> None:
    """Name the screenshots of ``page`` after the test that opened it."""
    _test_names[id(page)] = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")


def forget(page: Page) -> None:
    _test_names.pop(id(page), None)


def snap(page: Page, step: str) -> Path:
    """Save a full-page screenshot of ``page`` for the step ``step``; return where it went."""
    name = _test_names.get(id(page), "unnamed-test")
    path = SCREENSHOTS / f"{name}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', step)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
