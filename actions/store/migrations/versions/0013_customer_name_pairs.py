"""Closed tickets found by a customer's full name without reading every ticket of one of its words:
each pair of the customer's words (``c:doe+jane``) is a search term too (``actions.domain.search_terms``).
Tickets closed before this revision get their pairs here, from their evidence; a database made at
revision 0012 by this version of the code already has them, and they are written again alike.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 05:20:00.000000
"""

from __future__ import annotations

import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from actions.domain.search_terms import CUSTOMER, PAIRED, customer_pairs

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TERMS = sa.table('ticket_search_terms', sa.column('ticket_id', sa.String()), sa.column('term', sa.String()),
                 sa.column('queue', sa.String()), sa.column('closed_at', sa.DateTime(timezone=True)))
#: Every pair term, and nothing else: a customer term with the pair's joining character in it.
PAIRS = sa.and_(TERMS.c.term.like(f"{CUSTOMER}%"), TERMS.c.term.contains(PAIRED, autoescape=True))


def upgrade() -> None:
    bind = op.get_bind()
    tickets = sa.table('handoff_requests', sa.column('id', sa.String()), sa.column('queue', sa.String()),
                       sa.column('closed_at', sa.DateTime(timezone=True)), sa.column('evidence_json', sa.String()),
                       sa.column('status', sa.String()))
    bind.execute(sa.delete(TERMS).where(PAIRS))
    closed = bind.execute(sa.select(tickets.c.id, tickets.c.queue, tickets.c.closed_at, tickets.c.evidence_json)
                          .where(tickets.c.status == 'closed', tickets.c.closed_at.is_not(None)))
    rows = [{"ticket_id": ticket_id, "term": term, "queue": queue, "closed_at": closed_at}
            for ticket_id, queue, closed_at, evidence_json in closed
            for term in sorted(customer_pairs(json.loads(evidence_json or "{}")))]
    if rows:
        op.bulk_insert(TERMS, rows)


def downgrade() -> None:
    op.get_bind().execute(sa.delete(TERMS).where(PAIRS))
