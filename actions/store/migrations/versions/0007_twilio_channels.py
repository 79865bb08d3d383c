"""Twilio channels: the phone addresses a conversation was reached on (where replies go, the
WhatsApp window, STOP), and every inbound message kept from the moment it was accepted, unique
by the provider's id so a duplicated delivery is one turn; the channel of each message on a ticket.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 16:29:09.912668
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(), nullable=True))

    op.create_table('channel_addresses',
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('conversation_id', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'address')
    )
    with op.batch_alter_table('channel_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_addresses_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('conversation_id', sa.String(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('media_json', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_id')
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_messages_conversation_status', ['conversation_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_conversation_status')

    op.drop_table('inbound_messages')
    with op.batch_alter_table('channel_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_addresses_conversation_id'))

    op.drop_table('channel_addresses')