-- Safe operation (issue 13).

-- A value derived from the master key (never the key), set by the first
-- instance to start: an instance or command with another key refuses to
-- start instead of refusing every token.
ALTER TABLE org_settings ADD COLUMN master_key_check BYTEA;

-- Idempotent writes: the first answer to a key, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    id BIGSERIAL PRIMARY KEY,
    -- Where the key applies: an intake endpoint, or a campaign's leads API
    -- for one token.
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    -- SHA-256 of the request body: the same key with another body is refused.
    request_hash BYTEA NOT NULL,
    status SMALLINT NOT NULL,
    response JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
