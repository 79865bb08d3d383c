"""Phone calls handed to people: who takes calls (``inbox_users.available_by_phone``, only with a
proven number), each warm transfer of a call (``voice_transfers``) and each person's phone rung
for it (``voice_transfer_legs``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 18:42:42.118301
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('voice_transfer_legs',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfer_id', sa.String(), nullable=False),
    sa.Column('n', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('phone', sa.String(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('call_sid', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('transfer_id', 'n')
    )
    with op.batch_alter_table('voice_transfer_legs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_transfer_legs_call_sid'), ['call_sid'], unique=False)

    op.create_table('voice_transfers',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('call_sid', sa.String(), nullable=False),
    sa.Column('conversation_id', sa.String(), nullable=False),
    sa.Column('ticket_id', sa.String(), nullable=True),
    sa.Column('room', sa.String(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('leg', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(), nullable=True),
    sa.Column('note', sa.String(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('voice_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_transfers_call_sid'), ['call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_transfers_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('inbox_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('available_by_phone', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inbox_users', schema=None) as batch_op:
        batch_op.drop_column('available_by_phone')

    with op.batch_alter_table('voice_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_transfers_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_voice_transfers_call_sid'))

    op.drop_table('voice_transfers')
    with op.batch_alter_table('voice_transfer_legs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_transfer_legs_call_sid'))

    op.drop_table('voice_transfer_legs')
