"""The domain (risk policy, codes, sign-off, the assistant's loop) is plain Python.

Rasa, the web servers, the SQL layer and the SMS provider are adapters around it; importing
the domain must not drag any of them in, so it can be tested and reused without them.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from actions.settings import PROJECT_ROOT

#: The assistant's domain, and the inbox's rules (tickets, approvals, SLA) beside it.
DOMAINS = {"actions.domain": PROJECT_ROOT / "actions" / "domain", "handoff.domain": PROJECT_ROOT / "handoff" / "domain"}
FRAMEWORKS = ("rasa", "rasa_sdk", "sanic", "aiohttp", "sqlalchemy", "sqlmodel", "twilio", "psycopg2", "sqlite3")
#: Adapter packages of this project: the domain defines ports, these implement them.
ADAPTERS = ("actions.store", "actions.acme", "actions.sms", "actions.rasa_actions", "bot.composition",
            "handoff.app", "handoff.store", "handoff.desk", "handoff.ticket_service", "handoff.approval_service",
            "handoff.handlers", "handoff.websocket_hub", "handoff.change_feed", "handoff.timers", "handoff.delivery",
            "handoff.auth", "handoff.rasa_client", "handoff.tables", "handoff.login_throttle", "channels")

_IMPORT_ALL_AND_REPORT = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
for name in names:
    importlib.import_module(f"{sys.argv[1]}.{name}")
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def domain_files() -> List[Path]:
    return sorted(path for folder in DOMAINS.values() for path in folder.glob("*.py"))


@pytest.mark.parametrize("package", sorted(DOMAINS))
def test_importing_every_domain_module_loads_no_framework(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL_AND_REPORT, package], cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(report["imported"]) == {path.stem for path in DOMAINS[package].glob("*.py") if path.stem != "__init__"}
    loaded = [m for m in report["modules"] if m.split(".")[0] in FRAMEWORKS]
    assert loaded == [], f"importing {package} pulled in {loaded}"
    adapters = [m for m in report["modules"] if m.startswith(ADAPTERS)]
    assert adapters == [], f"importing {package} pulled in the adapters {adapters}"


def imports_of(path: Path) -> List[Tuple[int, str]]:
    """Every module a file imports, with its line, including imports inside functions."""
    found: List[Tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_no_domain_file_imports_a_framework_or_an_adapter(path: Path) -> None:
    offending = [
        f"{path.name}:{line} imports {module}"
        for line, module in imports_of(path)
        if module.split(".")[0] in FRAMEWORKS or module.startswith(ADAPTERS)
    ]
    assert offending == []


def test_the_static_check_would_catch_a_framework_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def later():\n    from sqlmodel import Session\n    import rasa_sdk.events\n", encoding="utf-8")
    assert imports_of(sneaky) == [(2, "sqlmodel"), (3, "rasa_sdk.events")]
