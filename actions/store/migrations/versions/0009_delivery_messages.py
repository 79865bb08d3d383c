"""The messages each delivery became at its provider, by their ids: a retry adopts no message
another delivery recorded (the earlier messages of a long text included), a report on any of
them finds its delivery by an index, and a report that came while the delivery was still being
sent is kept until the worker records the outcome.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:12:41.208113
"""

from __future__ import annotations

import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _recorded(bind: sa.engine.Connection) -> dict:
    """The SIDs deliveries already recorded: the latest (``provider_id``) and those of a long text's progress."""
    known: dict = {}
    for delivery_id, provider_id, payload_json in bind.execute(
            sa.text("SELECT id, provider_id, payload_json FROM deliveries WHERE provider_id IS NOT NULL")):
        try:
            sent = (json.loads(payload_json).get("progress") or {}).get("sent") or []
        except (ValueError, AttributeError):
            sent = []
        for sid in [*sent, provider_id]:
            if isinstance(sid, str):
                known.setdefault(sid, delivery_id)
    return known


def upgrade() -> None:
    messages = op.create_table('delivery_messages',
    sa.Column('provider_id', sa.String(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('reported', sa.String(), nullable=True),
    sa.Column('error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('provider_id')
    )
    with op.batch_alter_table('delivery_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_messages_delivery_id'), ['delivery_id'], unique=False)
    known = _recorded(op.get_bind())
    if known:
        op.bulk_insert(messages, [{"provider_id": sid, "delivery_id": delivery_id} for sid, delivery_id in known.items()])


def downgrade() -> None:
    with op.batch_alter_table('delivery_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_messages_delivery_id'))

    op.drop_table('delivery_messages')
