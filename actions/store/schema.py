"""Every table of the assistant's database, on one metadata, from one import.

Models register themselves on ``StoreTable.metadata`` when their module is imported. The
migrations compare that metadata with the database, so a module that was never imported
would look like a table to drop. Importing this module imports them all.

``handoff.tables`` belongs to the shared-inbox service and may not exist yet in a given
checkout; only its absence is forgiven, never an error raised while importing it.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from actions.store.tables import StoreTable

OPTIONAL_MODEL_MODULES = ("handoff.tables",)


def import_if_present(name: str) -> None:
    """Import the module ``name`` if it exists; errors from inside it are not hidden."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise


for _name in OPTIONAL_MODEL_MODULES:
    import_if_present(_name)


def store_metadata() -> MetaData:
    """The metadata holding every table of the assistant's database."""
    return StoreTable.metadata
