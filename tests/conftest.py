"""Fixtures every test module can use."""

pytest_plugins = ["tests.support.fake_twilio", "tests.support.model", "tests.support.floor"]


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Say whether this run trained the model, and how long it took."""
    from tests.support.model import MODEL_REPORT

    for line in MODEL_REPORT:
        terminalreporter.write_line(line)
