"""Wake-ups across the processes of one machine, for the embedded SQLite database.

Each follower binds a unix datagram socket in a folder beside the database file (for
``var/hitl.db``: ``var/.hitl.db.wake/``), named for the topics it follows (``feed.<pid>.<n>.sock``,
``feed+inbound.<pid>.<n>.sock``). After a commit, the writer sends one byte to every socket of that topic. Sending never
blocks and never raises into the writer: a full socket already has a wake-up waiting, and
the socket of a process that died without cleaning up refuses the byte and is removed.
Followers in the writer's own process are woken directly, without a socket.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import secrets
import socket
import tempfile
import threading
from pathlib import Path
from typing import Dict, Iterator, Sequence, Set, Tuple

from actions.domain.wakeup import Wakeup

logger = logging.getLogger(__name__)

#: Room for a socket's name in its path (the kernel's limit for a unix socket path is 108 bytes).
_PATH_ROOM = 100
#: The followers of this process, by (folder, topic): woken directly by this process's writers.
_HERE: Dict[Tuple[str, str], Set[Wakeup]] = {}
_HERE_LOCK = threading.Lock()


def wake_folder(database: Path) -> Path:
    """Where the sockets of ``database``'s followers live: beside it, or (when that path is too long
    for a unix socket) in the temporary folder under a name derived from the database's path."""
    database = database.resolve()
    beside = database.parent / f".{database.name}.wake"
    if len(str(beside)) + 40 <= _PATH_ROOM:
        return beside
    digest = hashlib.sha256(str(database).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hitl-wake-{digest}"


class LocalListener:
    """A follower's socket, for one or more topics: each byte that arrives sets its wake-up."""

    def __init__(self, folder: Path, topics: Sequence[str]) -> None:
        self.wakeup = Wakeup()
        self._keys = [(str(folder), topic) for topic in topics]
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / f"{'+'.join(topics)}.{os.getpid()}.{secrets.token_hex(4)}.sock"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._socket.bind(str(self.path))
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._socket.fileno(), self._drain)
        with _HERE_LOCK:
            for key in self._keys:
                _HERE.setdefault(key, set()).add(self.wakeup)

    def _drain(self) -> None:
        try:
            while self._socket.recv(64):
                pass
        except BlockingIOError:
            pass
        except OSError:  # the socket was closed under us: the safety net carries on
            logger.debug("wake-up socket %s could not be read", self.path, exc_info=True)
        self.wakeup.set()

    async def wait(self, safety_net: float) -> bool:
        return await self.wakeup.wait(safety_net)

    async def close(self) -> None:
        with _HERE_LOCK:
            for key in self._keys:
                _HERE.get(key, set()).discard(self.wakeup)
        self._loop.remove_reader(self._socket.fileno())
        self._socket.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def notify_local(folder: Path, topic: str) -> None:
    """Wake every follower of ``topic`` on this database: this process's directly, others' by socket.

    Called after a commit, in the writer's thread; it never raises."""
    try:
        with _HERE_LOCK:
            here = list(_HERE.get((str(folder), topic), ()))
        for wakeup in here:
            wakeup.set()
        paths = list(_others_following(folder, topic))
        if not paths:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            for path in paths:
                _send(sender, path)
    except Exception:  # noqa: BLE001 - the followers' safety net covers a wake-up that could not be sent
        logger.warning("wake-up for %s could not be sent; followers will look on their own", topic, exc_info=True)


def _others_following(folder: Path, topic: str) -> Iterator[Path]:
    """The sockets of other processes' followers of ``topic``."""
    mine = str(os.getpid())
    for path in folder.glob("*.sock"):
        topics, _, rest = path.name.partition(".")
        if topic in topics.split("+") and not rest.startswith(mine + "."):
            yield path


def _send(sender: socket.socket, path: Path) -> None:
    try:
        sender.sendto(b"!", str(path))
    except BlockingIOError:
        pass  # its buffer is full: the follower has wake-ups it has not read yet
    except (ConnectionRefusedError, FileNotFoundError):
        _remove_dead(path)
    except OSError as failed:
        if failed.errno in (errno.ECONNREFUSED, errno.ENOTSOCK):
            _remove_dead(path)
        else:
            logger.debug("wake-up to %s not sent: %s", path, failed)


def _remove_dead(path: Path) -> None:
    """A socket nobody reads any more (its process died without closing it)."""
    try:
        path.unlink()
    except OSError:
        pass
