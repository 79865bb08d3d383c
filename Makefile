# Two commands: `make run` starts everything, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.10 || ls $$HOME/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | tail -1)
VENV := .venv
UV_VERSION := 0.13.9

.PHONY: run test install model clean browser reset-demo twilio-setup bench test-bench nginx scale-out test-scale-out

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

# The scaled-out stack (docs/SCALE_OUT.md): nginx in front of 2 Rasa servers, 2 action servers and
# 2 inbox processes, on PostgreSQL, Redis and RabbitMQ; the same URLs as `make run`.
scale-out: install nginx
	HITL_DEMO=$${HITL_DEMO:-1} $(VENV)/bin/python -m bot.scaleout

# The end-to-end conversation suite, each test module against its own scaled-out stack.
SCALE_OUT_SUITE := tests/e2e/test_conversations.py tests/e2e/test_phone_channels.py tests/e2e/test_webchat_identity.py tests/e2e/test_webchat_sign_in.py tests/e2e/test_scale_out.py
test-scale-out: install nginx
	HITL_TEST_STACK=scale-out $(VENV)/bin/python -m pytest -p no:xdist --basetemp=$(CURDIR)/var/test-scale-out $(SCALE_OUT_SUITE)

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

# Then the tests marked alone (the scale-out module restarts PostgreSQL), with nothing else running.
test: install browser nginx
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not bench and not alone"
	$(VENV)/bin/python -m pytest -p no:xdist -m alone

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

# The scaled-out stack runs Debian's nginx in the foreground on its own configuration (never the system's).
NGINX := /usr/sbin/nginx
APT_NGINX := DEBIAN_FRONTEND=noninteractive apt-get install -y nginx

nginx:
	@test -x $(NGINX) || { \
	  echo "installing Debian's nginx for the scaled-out stack ..."; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo env $(APT_NGINX) || { $$sudo apt-get update && $$sudo env $(APT_NGINX); } || { \
	    echo "could not install nginx: run 'sudo apt-get install -y nginx' and try again" \
	         "(the scaled-out stack needs $(NGINX))"; exit 1; }; }

clean:
	rm -rf var models results .rasa
