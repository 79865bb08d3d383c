"""The inbox at scale: closed tickets searchable by customer, reference, words and date, a page at a
time. Each closed ticket's search terms (``ticket_search_terms``, made by
``actions.domain.search_terms``) with its queue and closing time, indexed for "one term, one queue,
newest first"; and indexes on ``handoff_requests`` for the queue list (status, queue, created_at)
and the closed list (status, queue, closed_at, id). Tickets closed before this revision are indexed
here from their rows and messages.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 22:40:00.000000
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Dict, List, Sequence, Union

import sqlalchemy as sa
from alembic import op

from actions.domain.search_terms import ticket_terms

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _texts(bind: sa.engine.Connection, sql: str) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = defaultdict(list)
    for key, value in bind.execute(sa.text(sql)):
        found[key].append(value)
    return found


def _index_closed(terms_table: sa.Table) -> None:
    """The terms of every ticket already closed, as ``actions.store.ticket_lists`` writes them at close."""
    bind = op.get_bind()
    tickets = sa.table('handoff_requests', sa.column('id', sa.String()), sa.column('conversation_id', sa.String()),
                       sa.column('queue', sa.String()), sa.column('closed_at', sa.DateTime(timezone=True)),
                       sa.column('evidence_json', sa.String()), sa.column('status', sa.String()))
    closed = bind.execute(sa.select(tickets.c.id, tickets.c.conversation_id, tickets.c.queue, tickets.c.closed_at,
                                    tickets.c.evidence_json)
                          .where(tickets.c.status == 'closed', tickets.c.closed_at.is_not(None))).fetchall()
    if not closed:
        return
    messages = _texts(bind, "SELECT ticket_id, text FROM ticket_messages")
    addresses = _texts(bind, "SELECT conversation_id, address FROM channel_addresses")
    rows = []
    for ticket_id, conversation_id, queue, closed_at, evidence_json in closed:
        terms = ticket_terms(ticket_id, conversation_id, json.loads(evidence_json or "{}"), messages.get(ticket_id, []),
                             addresses.get(conversation_id, []))
        rows += [{"ticket_id": ticket_id, "term": term, "queue": queue, "closed_at": closed_at} for term in terms]
    op.bulk_insert(terms_table, rows)


def upgrade() -> None:
    terms = op.create_table('ticket_search_terms',
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ticket_id', sa.String(), nullable=False),
    sa.Column('term', sa.String(), nullable=False),
    sa.Column('queue', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', 'term')
    )
    with op.batch_alter_table('ticket_search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_search_terms_term_queue_closed', ['term', 'queue', 'closed_at', 'ticket_id'],
                              unique=False)

    with op.batch_alter_table('handoff_requests', schema=None) as batch_op:
        batch_op.create_index('ix_handoff_requests_status_queue_created', ['status', 'queue', 'created_at'], unique=False)
        batch_op.create_index('ix_handoff_requests_status_queue_closed', ['status', 'queue', 'closed_at', 'id'],
                              unique=False)
    _index_closed(terms)


def downgrade() -> None:
    with op.batch_alter_table('handoff_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_handoff_requests_status_queue_closed')
        batch_op.drop_index('ix_handoff_requests_status_queue_created')

    with op.batch_alter_table('ticket_search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_search_terms_term_queue_closed')

    op.drop_table('ticket_search_terms')
