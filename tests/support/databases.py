"""SQLite files already at the latest migration, copied from one template per test run.

Running every Alembic revision costs a few hundred milliseconds; copying a migrated file
costs a few. The template is built once per process by the real migrations
(``make_engine``), so a copy is exactly what ``make_engine`` would have made.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy.engine import Engine

from actions.store.database import make_engine
from tests.support.postgres import postgres_schema_url

_template: Optional[Path] = None
_lock = threading.Lock()


def migrated_sqlite_url(path: Path) -> str:
    """A SQLite URL for ``path``, a new file whose schema is at the latest migration."""
    global _template
    with _lock:
        if _template is None:
            folder = Path(tempfile.mkdtemp(prefix="hitl-schema-"))
            atexit.register(shutil.rmtree, folder, True)
            engine = make_engine(f"sqlite:///{folder / 'template.db'}")
            engine.dispose()  # checkpoints the write-ahead log into the file
            _template = folder / "template.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template, path)
    return f"sqlite:///{path}"


@contextmanager
def migrated_engine(kind: str, folder: Path, prefix: str) -> Iterator[Engine]:
    """An engine on a fresh migrated database: a SQLite file in ``folder``, or a PostgreSQL schema."""
    with ExitStack() as stack:
        sqlite = kind == "sqlite"
        url = migrated_sqlite_url(folder / "hitl.db") if sqlite else stack.enter_context(postgres_schema_url(prefix))
        engine = make_engine(url)
        stack.callback(engine.dispose)  # before the schema is dropped
        yield engine
