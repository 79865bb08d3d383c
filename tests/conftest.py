"""Fixtures every test module can use."""

pytest_plugins = ["tests.fake_twilio.fixtures"]
