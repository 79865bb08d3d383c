"""The shared services a scaled-out stack keeps its state in, named for that one stack.

PostgreSQL (the assistant's and the inbox's tables, Rasa's conversations, the demo business,
one database each), Redis (Rasa's conversation locks, the web chat's pub/sub channel) and
RabbitMQ (Rasa's events). Every name carries the stack's own name, so two stacks on one
machine, or a stack and the tests' ``test`` database, never see each other's data; the stack's
tests drop it all afterwards.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Dict, List
from urllib.parse import urlsplit

import aio_pika
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The servers (``SCALE_OUT_POSTGRES_URL``: a database to connect to while creating the stack's).
POSTGRES_URL = os.environ.get("SCALE_OUT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("SCALE_OUT_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
#: The Redis database of the conversation locks (Rasa's default, 1, is left to a default stack).
LOCK_REDIS_DB = 2


@dataclass(frozen=True)
class Backends:
    """One stack's databases, Redis names and RabbitMQ names, all derived from ``name``."""

    name: str  # e.g. hitl_scale_5005: letters, digits and underscores

    @property
    def databases(self) -> Dict[str, str]:
        return {"hitl": self.name, "rasa": f"{self.name}_rasa", "acme": f"{self.name}_acme"}

    def database_url(self, role: str) -> str:
        return str(make_url(POSTGRES_URL).set(database=self.databases[role]))

    @property
    def lock_prefix(self) -> str:
        return self.name.replace("_", "")  # Rasa takes letters and digits only

    def env(self) -> Dict[str, str]:
        """What the stack's processes are told (``deploy/endpoints.scale-out.yml`` reads the RASA_* ones)."""
        postgres, rabbit, redis_url = make_url(POSTGRES_URL), urlsplit(RABBITMQ_URL), urlsplit(REDIS_URL)
        return {
            "DATABASE_URL": self.database_url("hitl"),
            "ACME_DATABASE_URL": self.database_url("acme"),
            "RASA_TRACKER_HOST": postgres.host or "127.0.0.1", "RASA_TRACKER_PORT": str(postgres.port or 5432),
            "RASA_TRACKER_USER": postgres.username or "postgres", "RASA_TRACKER_DB": self.databases["rasa"],
            "RASA_TRACKER_LOGIN_DB": postgres.database or "postgres",
            "RASA_LOCK_REDIS_HOST": redis_url.hostname or "127.0.0.1", "RASA_LOCK_REDIS_PORT": str(redis_url.port or 6379),
            "RASA_LOCK_REDIS_DB": str(LOCK_REDIS_DB), "RASA_LOCK_KEY_PREFIX": self.lock_prefix,
            "RASA_EVENTS_HOST": rabbit.hostname or "127.0.0.1", "RASA_EVENTS_PORT": str(rabbit.port or 5672),
            "RASA_EVENTS_USER": rabbit.username or "guest", "RASA_EVENTS_PASSWORD": rabbit.password or "guest",
            "RASA_EVENTS_QUEUE": f"{self.name}_events", "RASA_EVENTS_EXCHANGE": self.name,
            "WEBCHAT_REDIS_URL": f"{REDIS_URL.rstrip('/')}/{LOCK_REDIS_DB}", "WEBCHAT_REDIS_CHANNEL": f"{self.name}_webchat",
        }

    def create(self) -> List[str]:
        """Create the stack's databases that are missing; the ones created. Fails with what to start."""
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                existing = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
                created = [db for db in self.databases.values() if db not in existing]
                for database in created:
                    conn.execute(text(f'CREATE DATABASE "{database}"'))
            return created
        finally:
            engine.dispose()

    def drop(self) -> None:
        """Drop the stack's databases, queue, exchange and lock keys (its processes have stopped)."""
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                for database in self.databases.values():
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            engine.dispose()
        asyncio.run(self._drop_queue())
        locks = redis.Redis.from_url(REDIS_URL, db=LOCK_REDIS_DB)
        try:
            keys = list(locks.scan_iter(f"{self.lock_prefix}:*"))
            if keys:
                locks.delete(*keys)
        finally:
            locks.close()

    async def _drop_queue(self) -> None:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=5)
        try:
            channel = await connection.channel()
            await channel.queue_delete(f"{self.name}_events")
            await channel.exchange_delete(self.name)
        finally:
            await connection.close()
