"""Web chat token claims: each identity token is good for the first socket that presents it,
across every chat server sharing the database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 14:40:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('webchat_token_claims',
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token_id', sa.String(), nullable=False),
    sa.Column('socket_id', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('token_id')
    )
    with op.batch_alter_table('webchat_token_claims', schema=None) as batch_op:
        batch_op.create_index('ix_webchat_token_claims_expires_at', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webchat_token_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_webchat_token_claims_expires_at')
    op.drop_table('webchat_token_claims')
