"""Debian's chromium for the browser tests: where it is, how it is started, and installing it if missing.

Playwright's own browser downloads are never used: the tests drive the distribution's
chromium, which ``make browser`` (a prerequisite of ``make test``) installs with apt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional

CHROMIUM = Path("/usr/bin/chromium")

#: Headless, and quiet on the network: without the background-networking flags chromium keeps
#: calling home (updates, sync, field trials) and each call waits on the closed network.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def install_command() -> Optional[List[str]]:
    """``apt-get install -y chromium``, through ``sudo -n`` unless we are root; None if neither is possible."""
    apt = ["apt-get", "install", "-y", "chromium"]
    if os.geteuid() == 0:
        return apt
    if shutil.which("sudo"):
        return ["sudo", "-n", *apt]
    return None


def ensure_chromium() -> Optional[str]:
    """Install chromium if it is missing; return why it is still missing, or None once it is there."""
    if CHROMIUM.exists():
        return None
    command = install_command()
    if command is None:
        return f"{CHROMIUM} is missing and this user can neither apt-get nor sudo: run `make browser` as root"
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if result.returncode != 0 or not CHROMIUM.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"{CHROMIUM} is missing and `{' '.join(command)}` failed: {' / '.join(tail)}"
    return None
