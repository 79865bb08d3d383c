# Two commands: `make run` starts everything, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.10 || ls $$HOME/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | tail -1)
VENV := .venv
UV_VERSION := 0.13.9

.PHONY: run test install model clean browser reset-demo twilio-setup bench test-bench

$(VENV)/.synced: pyproject.toml uv.lock
	@test -n "$(PYTHON)" || { echo "Python 3.10 not found: install it (e.g. pyenv install 3.10.13) or pass PYTHON=/path/to/python3.10"; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(VENV)/bin/uv sync --frozen --system-certs --python $(VENV)/bin/python
	@touch $@

install: $(VENV)/.synced

model: install
	$(VENV)/bin/python -m bot.model

# Demo mode unless HITL_DEMO=0: without Twilio credentials, a fake Twilio and its demo phone start too.
run: install
	HITL_DEMO=$${HITL_DEMO:-1} $(VENV)/bin/python -m bot.stack

# The demo's data back to its first state (orders dated from today, no tickets, no chats);
# the inbox logins and the audit log stay. `make run` may keep running.
reset-demo: install
	$(VENV)/bin/python -m bot.reset_demo --yes-this-is-a-demo

# Going live: point the Twilio number (TWILIO_FROM_NUMBER) at HITL_PUBLIC_URL's webhooks, and list
# what is left to do in the Twilio Console. `make twilio-setup ARGS=--dry-run` only shows the change.
twilio-setup: install
	$(VENV)/bin/python -m bot.twilio_setup $(ARGS)

# Benchmarks against stock Rasa 3.6.21, side by side on this machine, written to docs/BENCHMARKS.md
# (about 20 minutes on 2 busy cores). `make bench ARGS=--quick`: few samples and a short load.
bench: install
	$(VENV)/bin/python -m bench $(ARGS)

# Two workers by default (TEST_WORKERS=1 for one): the tests that share a running stack stay on one worker.
# The benchmark harness's own end-to-end check (marker bench, about 10 minutes) runs with `make test-bench`.
TEST_WORKERS ?= 2

test: install browser
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not bench"

test-bench: install
	$(VENV)/bin/python -m pytest -m bench

# The browser tests drive Debian's chromium, never a browser downloaded by Playwright.
CHROMIUM := /usr/bin/chromium
APT_CHROMIUM := DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

browser:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser tests ..."; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo env $(APT_CHROMIUM) || { $$sudo apt-get update && $$sudo env $(APT_CHROMIUM); } || { \
	    echo "could not install chromium: run 'sudo apt-get install -y chromium' and try again" \
	         "(the browser tests need $(CHROMIUM))"; exit 1; }; }

clean:
	rm -rf var models results .rasa
