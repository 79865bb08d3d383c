"""The SMS sender used when no Twilio credentials are configured: a local JSON-lines file.

It lets the demo run end to end with nothing but a laptop: the developer reads the one-time
code from the file (``read_outbox``) instead of a phone. Every line says loudly that nothing
was delivered, so the file is never mistaken for proof of delivery. The file is written in a
worker thread, so the delivery worker's event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

from actions.domain.clock import Clock, SystemClock

logger = logging.getLogger(__name__)

DEV_OUTBOX_WARNING = "DEVELOPMENT ONLY: not delivered to any phone"


def _new_dev_id() -> str:
    return f"dev-{uuid.uuid4().hex}"


class DevOutboxSender:
    """``SmsSender`` that appends each message as one JSON line to ``path``."""

    def __init__(
        self,
        path: Path,
        clock: Optional[Clock] = None,
        new_id: Callable[[], str] = _new_dev_id,
    ) -> None:
        self.path = Path(path)
        self._clock: Clock = clock or SystemClock()
        self._new_id = new_id
        # Lines are written in worker threads: one lock keeps concurrent lines from interleaving.
        self._lock = threading.Lock()

    async def send_sms(self, to: str, body: str) -> str:
        message_id = self._new_id()
        record = {
            "at": self._clock.now().isoformat(),
            "to": to,
            "body": body,
            "id": message_id,
            "warning": DEV_OUTBOX_WARNING,
        }
        await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False) + "\n")
        logger.warning("%s: SMS %s written to %s", DEV_OUTBOX_WARNING, message_id, self.path)
        return message_id

    def _append(self, line: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(line)


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Every message in the outbox, oldest first; an outbox never written to is empty."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as outbox:
        return [json.loads(line) for line in outbox if line.strip()]
