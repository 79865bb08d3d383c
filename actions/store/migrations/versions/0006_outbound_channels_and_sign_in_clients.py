"""Outbound channels and sign-in clients: a delivery may be bound to one channel (a one-time code
goes by SMS whatever the customer is using) and keeps the channel's own id for it; a web chat
sign-in request keeps a keyed hash of the address it came from, so each client is rate limited.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:04:25.805422
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deliveries_provider_id'), ['provider_id'], unique=False)

    with op.batch_alter_table('identity_link_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sa.String(), nullable=True))
        batch_op.create_index('ix_identity_link_requests_client_requested', ['client', 'requested_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_link_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_link_requests_client_requested')
        batch_op.drop_column('client')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_provider_id'))
        batch_op.drop_column('provider_id')
        batch_op.drop_column('channel')
