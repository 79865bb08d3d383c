"""Copies of the shipped risk policy for stacks under test, changed only where a test needs it.

The shipped opening hours would make a test's words depend on the hour it runs at (outside them
the customer is told when people are back), so a stack's policy is open around the clock unless
the test asks for the team to be away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Optional

import yaml

from actions.settings import PROJECT_ROOT

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = {"timezone": "UTC", "days": {day: "00:00-24:00" for day in WEEKDAYS}}
#: Open one minute a week, at a time no test runs at: the team is away.
ALWAYS_AWAY = {"timezone": "UTC", "days": {**{day: "closed" for day in WEEKDAYS}, "sun": "03:00-03:01"}}


def policy_file(folder: Path, *, opening_hours: Dict[str, Any] = ALWAYS_OPEN,
                edit: Optional[Callable[[Dict[str, Any]], None]] = None) -> Path:
    """The shipped policy with these opening hours (and ``edit``'s changes), written in ``folder``."""
    policy = yaml.safe_load((PROJECT_ROOT / "bot" / "risk_policy.yml").read_text(encoding="utf-8"))
    policy["opening_hours"] = opening_hours
    if edit is not None:
        edit(policy)
    path = folder / "risk_policy.yml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path
