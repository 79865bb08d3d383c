"""Acme, the demo online retailer the assistant acts on.

Two implementations of :class:`actions.domain.business.Business` live here:

* ``actions.acme.sqlite_backend.SqlBusiness``: the demo's own database (SQLite file or
  PostgreSQL), seeded by ``actions.acme.seed.seed_demo``.
* ``actions.acme.http_backend.HttpBusiness``: a client for a real retailer's API; its module
  docstring is the HTTP contract such an API implements.

Nothing is imported here on purpose, so a deployment that only talks HTTP never pulls in
SQLAlchemy.
"""
