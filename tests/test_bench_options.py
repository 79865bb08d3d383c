"""Choosing measurements for a partial benchmark run, and what its report says about the rest."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

import pytest

from bench.__main__ import MEASUREMENTS, measurements
from bench.report import SECTIONS, Results, render


def test_a_partial_run_names_the_measurements_it_takes() -> None:
    assert measurements("latency, hops") == frozenset({"latency", "hops"})


@pytest.mark.parametrize("given", ["latncy", "", ","])
def test_an_unknown_measurement_is_refused_with_the_names_to_choose_from(given: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        measurements(given)
    assert all(name in str(refused.value) for name in MEASUREMENTS)


def test_a_report_of_a_partial_run_says_which_sections_were_skipped() -> None:
    report = render(Results(quick=True, started=datetime.now(timezone.utc), baseline="stock"))

    for section in SECTIONS[:-1]:
        assert f"## {section}\n" in report
    assert report.count("Not measured: skipped in this run.") == len(SECTIONS) - 1
