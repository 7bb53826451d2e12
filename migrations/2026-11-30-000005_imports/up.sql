-- Bulk imports of leads (seed 004's Import API): who sent them (a private
-- token and the user it is assigned to), how, their progress, and the
-- first errors (one per refused field, up to 1000) as the report.
CREATE TABLE imports (
    id bigserial PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    token_id bigint REFERENCES tokens (id) ON DELETE SET NULL,
    token_key text NOT NULL,
    user_id bigint REFERENCES users (id),
    user_label text NOT NULL,
    format text NOT NULL CHECK (format IN ('csv', 'ndjson')),
    mode text NOT NULL CHECK (mode IN ('all_or_nothing', 'partial')),
    upsert_field text,
    state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    bytes bigint NOT NULL,
    rows_read bigint NOT NULL DEFAULT 0,
    imported bigint NOT NULL DEFAULT 0,
    updated bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0,
    errors jsonb NOT NULL DEFAULT '[]',
    failure text,
    -- Idempotency-Key: the same key and body again answers this import.
    idempotency_key text,
    request_hash bytea,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finished_at timestamptz,
    UNIQUE (token_id, idempotency_key)
);
CREATE INDEX imports_by_campaign ON imports (campaign_id, id DESC);
CREATE INDEX imports_running ON imports (updated_at) WHERE state = 'running';
