"""Fixtures every test module can use."""

import os
from typing import Iterator, List

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.support.fake_twilio", "tests.support.model", "tests.support.floor"]


# Property-based tests (hypothesis, schemathesis): bounded so the suite stays fast. "ci" is what CI
# runs (fewer examples, the same ones each run); "thorough" is for hunting (HYPOTHESIS_PROFILE=thorough).
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session", autouse=True)
def policy_open_around_the_clock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Stacks started by tests read the shipped policy open around the clock (``tests.support.policies``):
    what the bot says must not depend on the hour the test runs at. A stack given its own
    ``RISK_POLICY_PATH`` (a test of the team being away) keeps it."""
    from tests.support.policies import policy_file

    before = os.environ.get("RISK_POLICY_PATH")
    os.environ["RISK_POLICY_PATH"] = str(policy_file(tmp_path_factory.mktemp("policy")))
    yield
    if before is None:
        os.environ.pop("RISK_POLICY_PATH", None)
    else:
        os.environ["RISK_POLICY_PATH"] = before


#: Fixtures that start a stack once for several modules: their modules run in one test worker.
SHARED_STACKS = ("assistant", "phone_line")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Group the tests for parallel workers (``pytest -n 2 --dist loadgroup``, what ``make test`` runs).

    A stack costs a Rasa start-up (about 45 s), so each module's tests stay on one worker with
    its module-scoped stack, and the modules sharing a session-wide stack stay together too.
    """
    for item in items:
        shared = [name for name in SHARED_STACKS if name in getattr(item, "fixturenames", ())]
        group = shared[0] if shared else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A parallel worker hands its model report to the main process, which prints the summary."""
    from tests.support.model import MODEL_REPORT

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["model_report"] = list(MODEL_REPORT)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    from tests.support.model import MODEL_REPORT

    MODEL_REPORT.extend(getattr(node, "workeroutput", {}).get("model_report", []))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Say whether this run trained the model, and how long it took."""
    from tests.support.model import MODEL_REPORT

    for line in MODEL_REPORT:
        terminalreporter.write_line(line)
