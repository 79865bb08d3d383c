"""The stock Rasa 3.6.21 project the benchmarks compare against, generated at run time.

What it is, exactly (the report repeats it):
- the same NLU pipeline and policies as ours: ``bot/config.yml`` copied unchanged;
- the same NLU training data: ``data/nlu.yml`` copied unchanged (same intents, examples,
  regexes and lookups), so message parsing costs the same on both sides;
- a domain with those intents and entities, one response ``utter_goodbye`` and two rasa-sdk
  custom actions: ``action_hello`` (returns one message) and ``action_fallback`` (the
  policies' core fallback, also one message);
- rules: ``greet`` -> ``action_hello`` (the custom-action turn), ``goodbye`` -> ``utter_goodbye``
  (the utter-only turn);
- stock channels only (``rest``, ``socketio``, ``twilio``), the stock SQL tracker store on a
  SQLite file (as ours), no lock store or broker;
- ``sitecustomize.py``: stock Rasa's twilio channel has no setting for Twilio's address, so
  this file (on the baseline's ``PYTHONPATH`` only) rewrites ``https://*.twilio.com`` URLs in the
  twilio library's HTTP client to ``BENCH_TWILIO_BASE_URL``, the fake Twilio. Nothing else changes,
  except in one labelled variant (``BENCH_OUR_RESPONSE_CHECK=1``): stock Rasa with our check of
  action responses (``channels.action_response_check``), so the report can say how much of our
  lead is that fix and how much is the rest.

It is trained once and cached under ``var/bench/stock/<hash of its files>/``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import yaml

from bot.model import CONFIG, DATA, ROOT

BENCH_DIR = ROOT / "var" / "bench"
RASA = str(Path(sys.executable).parent / "rasa")

ACTIONS_PY = '''"""The stock baseline's custom actions: each returns one message."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionHello(Action):
    def name(self) -> Text:
        return "action_hello"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="Hi! How can I help you today?")
        return []


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="Sorry, I didn't get that.")
        return []
'''

SITECUSTOMIZE_PY = '''"""Stock baseline only: send the twilio library's requests to BENCH_TWILIO_BASE_URL (the fake Twilio)."""
import os

_BASE = os.environ.get("BENCH_TWILIO_BASE_URL")
if _BASE:
    from twilio.http.http_client import TwilioHttpClient

    from actions.sms.twilio_http import redirect_twilio_url

    _request = TwilioHttpClient.request

    def _redirected(self, method, url, *args, **kwargs):
        return _request(self, method, redirect_twilio_url(url, _BASE), *args, **kwargs)

    TwilioHttpClient.request = _redirected

if os.environ.get("BENCH_OUR_RESPONSE_CHECK") == "1":  # the labelled variant, never the baseline itself
    from channels.action_response_check import check_action_responses_with_one_validator

    check_action_responses_with_one_validator()
'''

CREDENTIALS = {
    "rest": None,
    "socketio": {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": False},
    "twilio": {"account_sid": "${BENCH_TWILIO_SID}", "auth_token": "${BENCH_TWILIO_TOKEN}",
               "twilio_number": "${BENCH_TWILIO_NUMBER}"},
}

ENDPOINTS = {
    "action_endpoint": {"url": "${BENCH_ACTION_URL}"},
    "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": "${BENCH_TRACKER_DB}"},
}

RULES = {"version": "3.1", "rules": [
    {"rule": "greet", "steps": [{"intent": "greet"}, {"action": "action_hello"}]},
    {"rule": "goodbye", "steps": [{"intent": "goodbye"}, {"action": "utter_goodbye"}]},
]}


def nlu_names(nlu: Dict) -> Dict[str, List[str]]:
    """The intents and the entities (regex and lookup names) our NLU data declares."""
    items = nlu.get("nlu", [])
    return {"intents": [i["intent"] for i in items if "intent" in i],
            "entities": sorted({i.get("regex") or i.get("lookup") for i in items if "regex" in i or "lookup" in i})}


def project_files() -> Dict[str, str]:
    """Every file of the baseline project, by relative path."""
    nlu_text = (DATA / "nlu.yml").read_text()
    names = nlu_names(yaml.safe_load(nlu_text))
    domain = {
        "version": "3.1", "intents": names["intents"], "entities": names["entities"],
        "responses": {"utter_goodbye": [{"text": "Goodbye!"}]},
        "actions": ["action_hello", "action_fallback"],
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    return {
        "config.yml": CONFIG.read_text(),
        "data/nlu.yml": nlu_text,
        "data/rules.yml": yaml.safe_dump(RULES, sort_keys=False),
        "domain.yml": yaml.safe_dump(domain, sort_keys=False),
        "credentials.yml": yaml.safe_dump(CREDENTIALS, sort_keys=False),
        "endpoints.yml": yaml.safe_dump(ENDPOINTS, sort_keys=False),
        "stock_actions/__init__.py": "",
        "stock_actions/actions.py": ACTIONS_PY,
        "site/sitecustomize.py": SITECUSTOMIZE_PY,
    }


def project_hash(files: Dict[str, str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return digest.hexdigest()[:12]


def ensure_baseline(log: Path) -> Path:
    """The baseline project's folder with its trained model in ``models/stock.tar.gz``; trained only when
    its files changed (the folder is named after their hash)."""
    files = project_files()
    folder = BENCH_DIR / "stock" / project_hash(files)
    model = folder / "models" / "stock.tar.gz"
    if model.exists():
        return folder
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    command = [RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
               "--out", "models", "--fixed-model-name", "stock"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        result = subprocess.run(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"training the stock baseline failed (exit {result.returncode}); see {log}")
    return folder
