"""The benchmark harness end to end in its quick mode: both stacks, every measurement, the report.

Speed is never asserted here (the figures of a quick run on a shared machine mean little); what
is checked is that every section was measured without an error and written to the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import Plan, run
from bench.report import SECTIONS, write

pytestmark = pytest.mark.bench


def test_a_quick_benchmark_run_measures_every_section_and_writes_the_report(tmp_path: Path) -> None:
    results = run(Plan.quick(), quick=True)

    report = write(results, tmp_path / "BENCHMARKS.md").read_text()

    assert results.errors == {}, results.errors
    for section in SECTIONS:
        assert f"## {section}\n" in report, f"the report has no {section!r} section"
    assert "Not measured" not in report
    assert report.endswith("## Errors\n\nNone.\n")
    assert "| rest |" in report and "| webchat |" in report and "| sms |" in report
    assert results.load is not None and all(side.turns > 0 for side in results.load)
