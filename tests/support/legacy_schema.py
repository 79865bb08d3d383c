"""The assistant's schema as create_all made it before there were migrations.

Frozen on purpose: these are the statements ``StoreTable.metadata.create_all`` ran (audit
guards included) when revision 0001 was written, so a test can build the database an
existing install has, whatever the models look like today.
"""

from __future__ import annotations

from typing import Dict, List

from sqlalchemy import text
from sqlalchemy.engine import Engine

SQLITE = [
    "CREATE TABLE pending_actions ( "
    "created_at DATETIME NOT NULL, "
    "expires_at DATETIME NOT NULL, "
    "claimed_at DATETIME, "
    "id VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR NOT NULL, "
    "kind VARCHAR NOT NULL, "
    "params_json VARCHAR NOT NULL, "
    "headline VARCHAR NOT NULL, "
    "summary VARCHAR NOT NULL, "
    "outcome VARCHAR NOT NULL, "
    "tier VARCHAR NOT NULL, "
    "reasons_json VARCHAR NOT NULL, "
    "policy_version VARCHAR NOT NULL, "
    "idempotency_key VARCHAR NOT NULL, "
    "digest VARCHAR NOT NULL, "
    "stage VARCHAR NOT NULL, "
    "amount_cents INTEGER, "
    "unclear_replies INTEGER NOT NULL, "
    "result_message VARCHAR, "
    "PRIMARY KEY (id), "
    "UNIQUE (idempotency_key)"
    ")",
    "CREATE INDEX ix_pending_conversation_stage ON pending_actions (conversation_id, stage)",
    "CREATE INDEX ix_pending_actions_stage ON pending_actions (stage)",
    "CREATE INDEX ix_pending_actions_conversation_id ON pending_actions (conversation_id)",
    "CREATE TABLE otp_challenges ( "
    "issued_at DATETIME NOT NULL, "
    "expires_at DATETIME NOT NULL, "
    "id VARCHAR NOT NULL, "
    "pending_id VARCHAR NOT NULL, "
    "action_digest VARCHAR NOT NULL, "
    "code_hash VARCHAR NOT NULL, "
    "attempts INTEGER NOT NULL, "
    "send_number INTEGER NOT NULL, "
    "status VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_otp_challenges_pending_id ON otp_challenges (pending_id)",
    "CREATE TABLE request_drafts ( "
    "conversation_id VARCHAR NOT NULL, "
    "request VARCHAR NOT NULL, "
    "fields_json VARCHAR NOT NULL, "
    "missing VARCHAR NOT NULL, "
    "PRIMARY KEY (conversation_id)"
    ")",
    "CREATE TABLE audit_log ( "
    "at DATETIME NOT NULL, "
    "id INTEGER NOT NULL, "
    "actor VARCHAR NOT NULL, "
    "event VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR, "
    "pending_id VARCHAR, "
    "request VARCHAR, "
    "outcome VARCHAR, "
    "tier VARCHAR, "
    "reasons_json VARCHAR NOT NULL, "
    "policy_version VARCHAR, "
    "detail_json VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_audit_log_conversation_id ON audit_log (conversation_id)",
    "CREATE INDEX ix_audit_log_pending_id ON audit_log (pending_id)",
    "CREATE INDEX ix_audit_log_event ON audit_log (event)",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TABLE handoff_requests ( "
    "created_at DATETIME NOT NULL, "
    "id VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR, "
    "topic VARCHAR NOT NULL, "
    "priority VARCHAR NOT NULL, "
    "reasons_json VARCHAR NOT NULL, "
    "pending_id VARCHAR, "
    "status VARCHAR NOT NULL, "
    "evidence_json VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_handoff_requests_status ON handoff_requests (status)",
    "CREATE INDEX ix_handoff_requests_conversation_id ON handoff_requests (conversation_id)",
    "CREATE TABLE approval_requests ( "
    "requested_at DATETIME NOT NULL, "
    "id VARCHAR NOT NULL, "
    "pending_id VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR NOT NULL, "
    "kind VARCHAR NOT NULL, "
    "amount_cents INTEGER, "
    "summary VARCHAR NOT NULL, "
    "reasons_json VARCHAR NOT NULL, "
    "status VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_approval_requests_status ON approval_requests (status)",
    "CREATE INDEX ix_approval_requests_pending_id ON approval_requests (pending_id)",
]

POSTGRESQL = [
    "CREATE TABLE pending_actions ( "
    "created_at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "expires_at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "claimed_at TIMESTAMP WITH TIME ZONE, "
    "id VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR NOT NULL, "
    "kind VARCHAR NOT NULL, "
    "params_json VARCHAR NOT NULL, "
    "headline VARCHAR NOT NULL, "
    "summary VARCHAR NOT NULL, "
    "outcome VARCHAR NOT NULL, "
    "tier VARCHAR NOT NULL, "
    "reasons_json VARCHAR NOT NULL, "
    "policy_version VARCHAR NOT NULL, "
    "idempotency_key VARCHAR NOT NULL, "
    "digest VARCHAR NOT NULL, "
    "stage VARCHAR NOT NULL, "
    "amount_cents INTEGER, "
    "unclear_replies INTEGER NOT NULL, "
    "result_message VARCHAR, "
    "PRIMARY KEY (id), "
    "UNIQUE (idempotency_key)"
    ")",
    "CREATE INDEX ix_pending_conversation_stage ON pending_actions (conversation_id, stage)",
    "CREATE INDEX ix_pending_actions_stage ON pending_actions (stage)",
    "CREATE INDEX ix_pending_actions_conversation_id ON pending_actions (conversation_id)",
    "CREATE TABLE otp_challenges ( "
    "issued_at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "expires_at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "id VARCHAR NOT NULL, "
    "pending_id VARCHAR NOT NULL, "
    "action_digest VARCHAR NOT NULL, "
    "code_hash VARCHAR NOT NULL, "
    "attempts INTEGER NOT NULL, "
    "send_number INTEGER NOT NULL, "
    "status VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_otp_challenges_pending_id ON otp_challenges (pending_id)",
    "CREATE TABLE request_drafts ( "
    "conversation_id VARCHAR NOT NULL, "
    "request VARCHAR NOT NULL, "
    "fields_json VARCHAR NOT NULL, "
    "missing VARCHAR NOT NULL, "
    "PRIMARY KEY (conversation_id)"
    ")",
    "CREATE TABLE audit_log ( "
    "at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "id SERIAL NOT NULL, "
    "actor VARCHAR NOT NULL, "
    "event VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR, "
    "pending_id VARCHAR, "
    "request VARCHAR, "
    "outcome VARCHAR, "
    "tier VARCHAR, "
    "reasons_json VARCHAR NOT NULL, "
    "policy_version VARCHAR, "
    "detail_json VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_audit_log_conversation_id ON audit_log (conversation_id)",
    "CREATE INDEX ix_audit_log_pending_id ON audit_log (pending_id)",
    "CREATE INDEX ix_audit_log_event ON audit_log (event)",
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TABLE handoff_requests ( "
    "created_at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "id VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR, "
    "topic VARCHAR NOT NULL, "
    "priority VARCHAR NOT NULL, "
    "reasons_json VARCHAR NOT NULL, "
    "pending_id VARCHAR, "
    "status VARCHAR NOT NULL, "
    "evidence_json VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_handoff_requests_status ON handoff_requests (status)",
    "CREATE INDEX ix_handoff_requests_conversation_id ON handoff_requests (conversation_id)",
    "CREATE TABLE approval_requests ( "
    "requested_at TIMESTAMP WITH TIME ZONE NOT NULL, "
    "id VARCHAR NOT NULL, "
    "pending_id VARCHAR NOT NULL, "
    "conversation_id VARCHAR NOT NULL, "
    "customer_id VARCHAR NOT NULL, "
    "kind VARCHAR NOT NULL, "
    "amount_cents INTEGER, "
    "summary VARCHAR NOT NULL, "
    "reasons_json VARCHAR NOT NULL, "
    "status VARCHAR NOT NULL, "
    "PRIMARY KEY (id)"
    ")",
    "CREATE INDEX ix_approval_requests_status ON approval_requests (status)",
    "CREATE INDEX ix_approval_requests_pending_id ON approval_requests (pending_id)",
]

STATEMENTS: Dict[str, List[str]] = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


def create_legacy_schema(engine: Engine) -> None:
    """Create the tables the way a pre-migration release did: no alembic_version."""
    with engine.begin() as connection:
        for statement in STATEMENTS[engine.dialect.name]:
            connection.execute(text(statement))
