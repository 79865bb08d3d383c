"""Approvals by phone: the people's phone numbers, who is on duty and how notices reach them, the
one-time codes texted to them for one approval request each (one per request and person), and
the numbers people asked for, waiting for the code that proves them (``phone_proofs``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 16:38:03.342245
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('approval_phone_codes',
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('approval_id', sa.String(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('code_hash', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('reason_asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('approval_id', 'username', name='uq_approval_phone_codes_approval_username')
    )
    with op.batch_alter_table('approval_phone_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_phone_codes_approval_id'), ['approval_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_phone_codes_username'), ['username'], unique=False)

    op.create_table('phone_proofs',
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('phone', sa.String(), nullable=False),
    sa.Column('notices_by', sa.String(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('challenge_id', sa.String(), nullable=False),
    sa.Column('code_hash', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('username'),
    sa.UniqueConstraint('challenge_id')
    )

    with op.batch_alter_table('inbox_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('on_duty', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('notices_by', sa.String(), server_default='sms', nullable=False))
        batch_op.create_unique_constraint('uq_inbox_users_phone', ['phone'])


def downgrade() -> None:
    with op.batch_alter_table('inbox_users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_inbox_users_phone', type_='unique')
        batch_op.drop_column('notices_by')
        batch_op.drop_column('on_duty')
        batch_op.drop_column('phone')

    op.drop_table('phone_proofs')

    with op.batch_alter_table('approval_phone_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_phone_codes_username'))
        batch_op.drop_index(batch_op.f('ix_approval_phone_codes_approval_id'))

    op.drop_table('approval_phone_codes')