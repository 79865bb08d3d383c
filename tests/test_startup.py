"""Start-up refuses bad configuration with a message that says what to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from rasa.__main__ import create_argument_parser

from actions.domain.sessions import IDENTIFYING_CHANNELS
from actions.settings import PROJECT_ROOT, Settings, SettingsError
from actions.sms import DevOutboxSender, TwilioSmsSender
from actions.store.database import make_engine
from bot.composition import (
    build_sms,
    identity_resolvers,
    rest_input,
    session_tokens,
    webchat_input,
)
from bot.stack import Stack


def start_action_server(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "actions", "--port", "1"], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, **env}, timeout=120,
    )


def test_a_typo_in_the_policy_stops_the_action_server_naming_the_key(tmp_path: Path) -> None:
    policy = yaml.safe_load((PROJECT_ROOT / "bot" / "risk_policy.yml").read_text())
    policy["refunds"]["aproval_above"] = policy["refunds"].pop("approval_above")
    (tmp_path / "policy.yml").write_text(yaml.safe_dump(policy))

    result = start_action_server({"RISK_POLICY_PATH": str(tmp_path / "policy.yml"), "HITL_DATA_DIR": str(tmp_path)})

    assert result.returncode == 2
    assert "action server not started" in result.stderr
    assert "'refunds.approval_above' is missing" in result.stderr


def test_half_configured_twilio_stops_start_up_saying_what_is_missing(tmp_path: Path) -> None:
    result = start_action_server({"HITL_DATA_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": "AC" + "0" * 32})

    assert result.returncode == 2
    assert "set TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER too" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ACME_BACKEND": "oracle"}, "ACME_BACKEND must be 'sqlite'"),
        ({"ACME_BACKEND": "http"}, "needs ACME_BACKEND_URL"),
        ({"ACME_SEED_DEMO": "perhaps"}, "ACME_SEED_DEMO must be true or false"),
        ({"OTP_PEPPER": "short"}, "OTP_PEPPER must be at least 32 characters"),
        ({"HITL_ACTIONS_SECRET": "letmein"}, "HITL_ACTIONS_SECRET must be at least 32 characters"),
        ({"RASA_PORT": "fifty"}, "RASA_PORT must be a port number, got 'fifty'"),
        ({"ACTIONS_PORT": "70000"}, "ACTIONS_PORT must be a port number, got '70000'"),
        ({"INBOX_PORT": "80a"}, "INBOX_PORT must be a port number, got '80a'"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, env: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"HITL_DATA_DIR": str(tmp_path), **env})


def test_the_embedded_default_needs_no_settings_and_keeps_codes_in_a_dev_outbox(tmp_path: Path) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite:///{tmp_path / 'hitl.db'}"
    assert isinstance(build_sms(settings), DevOutboxSender)
    assert len(settings.otp_pepper) == 64
    assert Settings.from_env({"HITL_DATA_DIR": str(tmp_path)}).otp_pepper == settings.otp_pepper  # kept across restarts
    assert oct((tmp_path / "otp_pepper").stat().st_mode)[-3:] == "600"
    assert len(settings.actions_secret) == 64 and oct((tmp_path / "actions_secret").stat().st_mode)[-3:] == "600"
    assert settings.actions_host == "127.0.0.1"


def test_without_a_secret_shared_with_rasa_the_action_server_does_not_start(tmp_path: Path) -> None:
    (tmp_path / "actions_secret").write_text("")  # the development secret emptied, none set

    result = start_action_server({"HITL_DATA_DIR": str(tmp_path), "HITL_ACTIONS_SECRET": ""})

    assert result.returncode == 2
    assert "action server not started" in result.stderr and "set HITL_ACTIONS_SECRET" in result.stderr


def test_twilio_credentials_switch_codes_to_real_sms(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "HITL_DATA_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "secret",
        "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_BASE_URL": "http://127.0.0.1:9",
    })
    assert isinstance(build_sms(settings), TwilioSmsSender)


def test_an_intent_name_typo_in_the_policy_stops_start_up(tmp_path: Path) -> None:
    policy = yaml.safe_load((PROJECT_ROOT / "bot" / "risk_policy.yml").read_text())
    policy["human_intents"]["ask_lgeal"] = policy["human_intents"].pop("ask_legal")
    (tmp_path / "policy.yml").write_text(yaml.safe_dump(policy))

    result = start_action_server({"RISK_POLICY_PATH": str(tmp_path / "policy.yml"), "HITL_DATA_DIR": str(tmp_path)})

    assert result.returncode == 2
    assert "'human_intents.ask_lgeal' is not an intent of the Rasa domain" in result.stderr


def test_database_url_alone_moves_the_action_server_and_the_inbox_together(tmp_path: Path) -> None:
    env = {"HITL_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://db.internal/hitl"}
    assert Settings.from_env(env).database_url == env["DATABASE_URL"]  # one object: the inbox reads the same
    split = {**env, "HITL_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    with pytest.raises(SettingsError, match="must share one database"):
        Settings.from_env(split)


def test_rasas_channels_are_built_from_the_same_settings_as_the_other_processes(tmp_path: Path) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "HITL_REST_TOKEN": "from-the-environment"})

    assert rest_input({}, settings).token == "from-the-environment"
    assert rest_input({"token": "from-credentials"}, settings).token == "from-credentials"
    webchat = webchat_input({"socketio_path": "/chat-socket"}, settings)
    issued = session_tokens(settings).issue("customer-C001", datetime.now(timezone.utc))
    assert webchat.socketio_path == "/chat-socket"
    assert webchat.resolver.tokens.verify(issued, datetime.now(timezone.utc)) is not None  # the page's key is the channel's


def test_every_identifying_channel_has_its_resolver_in_the_composition_root(tmp_path: Path) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path)})
    resolvers = identity_resolvers(settings, make_engine(settings.database_url))

    assert resolvers.channels() == tuple(sorted(IDENTIFYING_CHANNELS))


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "_underscore", "plain"])
def test_rasa_takes_the_api_token_whatever_character_it_begins_with(token: str, tmp_path: Path) -> None:
    """A url-safe token begins with "-" once in 64; Rasa's own parser must still read it as the token."""
    stack = Stack(data_dir=tmp_path, model=tmp_path / "model.tar.gz", api_token=token)
    arguments = create_argument_parser().parse_args(stack.rasa_arguments(stack.rasa_port))

    assert arguments.auth_token == token
    assert arguments.port == stack.rasa_port


def test_a_stack_starts_no_fake_twilio_unless_asked(tmp_path: Path) -> None:
    stack = Stack(data_dir=tmp_path, model=tmp_path / "model.tar.gz")

    assert stack.fake_twilio_url is None
    assert not any(name.startswith("TWILIO_") and name not in os.environ for name in stack._env())


def test_the_demo_stack_points_every_process_at_the_fake_twilio_and_the_fake_at_the_bot(tmp_path: Path) -> None:
    stack = Stack(data_dir=tmp_path, model=tmp_path / "model.tar.gz", rasa_port=5999, fake_twilio_port=8099)
    env = stack._env()

    assert env["TWILIO_BASE_URL"] == "http://127.0.0.1:8099" and env["TWILIO_ACCOUNT_SID"] == stack.fake_twilio_sid
    assert env["TWILIO_AUTH_TOKEN"] == stack.fake_twilio_token
    assert (env["TWILIO_FROM_NUMBER"], env["TWILIO_WHATSAPP_FROM"]) == ("+15005550006", "whatsapp:+14155238886")
    settings = Settings.from_env(env)
    assert settings.twilio is not None and settings.twilio.base_url == "http://127.0.0.1:8099"
    command = stack.fake_twilio_command()
    assert command[1:3] == ["-m", "devtools.fake_twilio"] and "--bot-url=http://127.0.0.1:5999" in command
    assert "--sms-number=+15005550006" in command and "--whatsapp-number=whatsapp:+14155238886" in command
    assert "--auth-token" not in " ".join(command)  # the token reaches the fake through its environment only


def test_numbers_given_to_the_demo_stack_reach_both_the_fake_and_the_processes(tmp_path: Path) -> None:
    stack = Stack(data_dir=tmp_path, model=tmp_path / "model.tar.gz", fake_twilio_port=8099,
                  env={"TWILIO_FROM_NUMBER": "+15550009999", "HITL_PUBLIC_URL": "https://bot.example.com"})

    assert stack._env()["TWILIO_FROM_NUMBER"] == "+15550009999"
    assert "--sms-number=+15550009999" in stack.fake_twilio_command()
    assert "--bot-url=https://bot.example.com" in stack.fake_twilio_command()


def test_the_running_stack_never_imports_the_development_tools() -> None:
    code = ("import sys, bot.stack, bot.composition, actions.server, handoff.app, channels.webchat; "
            "print(sorted(m for m in sys.modules if m.startswith('devtools')))")
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


FAKE_RASA = """#!/bin/sh
# prints like `rasa train` and writes the model it was asked for
for epoch in 1 2 3; do echo "Epochs: ${epoch}00%|####| 100/100 [00:01<00:00, loss=0.1]"; done
echo "TensorFlow noise" >&2
out=""; name=""
while [ $# -gt 0 ]; do
  case "$1" in --out) out="$2"; shift;; --fixed-model-name) name="$2"; shift;; esac; shift
done
touch "$out/$name.tar.gz"
"""


def test_training_for_make_run_prints_one_line_and_logs_rasas_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot import model

    monkeypatch.setattr(model, "MODELS", tmp_path / "models")
    (tmp_path / "models").mkdir()
    rasa = tmp_path / "rasa"
    rasa.write_text(FAKE_RASA)
    rasa.chmod(0o755)

    trained = model.ensure_model(rasa=str(rasa), log=tmp_path / "logs" / "train.log")

    assert trained.exists()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"training the model (config, domain or data changed) ... (log: {tmp_path / 'logs' / 'train.log'})"
    assert len(lines) == 2 and lines[1].startswith("trained in ")
    log = (tmp_path / "logs" / "train.log").read_text()
    assert log.count("Epochs:") == 3 and "TensorFlow noise" in log
