-- Accounts, sessions, one-time links, sign-in throttling, the audit log and
-- the mail outbox: everything the console needs before the first token exists.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    -- Stored lower-cased (EmailAddress normalises it), so equality is enough.
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 254),
    display_name TEXT NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    -- NULL until the invitation is accepted: such a user cannot sign in.
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('super_admin', 'admin', 'support', 'member')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    api_token_allowed BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_sign_in_at TIMESTAMPTZ
);

-- Server-side sessions. The cookie carries a random id; only its SHA-256 is
-- stored, so a database dump cannot be replayed as a cookie.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    digest BYTEA NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ip TEXT,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Single-use links mailed to users: invitations (set a first password) and
-- password resets. Only a digest of the code is stored.
CREATE TABLE account_links (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    digest BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX account_links_user_id_idx ON account_links (user_id);

-- Failed sign-ins, counted per email and per IP over a sliding window.
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_email_idx ON login_failures (email, at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);

-- Organisation-wide settings: exactly one row.
CREATE TABLE org_settings (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    -- Digest of the one-time setup code printed at start while no user exists.
    setup_code_digest BYTEA,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO org_settings (id) VALUES (TRUE);

-- The audit log is append-only: the triggers below refuse UPDATE, DELETE and
-- TRUNCATE, whoever asks.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    -- Who acted, as shown: an email, "system", or a token key.
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    ip TEXT,
    details JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);

CREATE FUNCTION keyward_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION keyward_audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION keyward_audit_append_only();

-- Mail is written here in the transaction of the change that causes it and
-- delivered by the outbox worker, with retries, so an SMTP outage delays
-- mail and loses none. Bodies are cleared once sent: a reset link must not
-- outlive its delivery in the database.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    template TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    last_error TEXT
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;
