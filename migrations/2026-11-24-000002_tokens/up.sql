-- Every token, whatever its kind, is one row here. Only an HMAC digest of
-- the token is stored for lookup; retrievable kinds also keep it sealed
-- (XChaCha20-Poly1305 under the master key). Kinds differ in scope and
-- policy only: which of the scope columns they use, and the partial unique
-- indexes below that allow one live token per scope where the product says
-- "one at a time".
CREATE TABLE tokens (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN (
        'global', 'campaign', 'source_form', 'source_ping', 'source_post',
        'campaign_api', 'personal', 'profile', 'account_public', 'account_private'
    )),
    -- The public token key: 8 base62 characters after the prefix.
    key TEXT NOT NULL UNIQUE CHECK (length(key) = 8),
    digest BYTEA NOT NULL UNIQUE CHECK (length(digest) = 32),
    sealed BYTEA,
    -- A description (personal, private) or a name (campaign API).
    name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- The owner (personal, profile) or the assigned user (account private).
    user_id BIGINT REFERENCES users (id),
    campaign_id BIGINT,
    source_id BIGINT,
    can_read BOOLEAN NOT NULL DEFAULT FALSE,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    filter_id BIGINT,
    -- Deactivated tokens are refused until activated again.
    active BOOLEAN NOT NULL DEFAULT TRUE,
    deactivated_at TIMESTAMPTZ,
    deactivated_by BIGINT REFERENCES users (id),
    deactivated_reason TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    last_used_ip TEXT,
    use_count BIGINT NOT NULL DEFAULT 0,
    revoked_at TIMESTAMPTZ,
    revoked_by BIGINT REFERENCES users (id),
    revoked_reason TEXT,
    -- When the expiry warnings went out (profile tokens).
    warned_14d_at TIMESTAMPTZ,
    warned_1d_at TIMESTAMPTZ,
    CHECK ((sealed IS NOT NULL) = (kind IN (
        'global', 'campaign', 'source_form', 'source_ping', 'source_post', 'campaign_api', 'account_public'
    ))),
    CHECK (kind NOT IN ('personal', 'profile', 'account_private') OR user_id IS NOT NULL)
);

-- One profile API token per user at a time: enforced here, not only on the page.
CREATE UNIQUE INDEX tokens_one_profile_per_user ON tokens (user_id)
    WHERE kind = 'profile' AND revoked_at IS NULL;
-- One live global token, one per campaign, one per source and method, one public token.
CREATE UNIQUE INDEX tokens_one_global ON tokens ((TRUE))
    WHERE kind = 'global' AND revoked_at IS NULL;
CREATE UNIQUE INDEX tokens_one_per_campaign ON tokens (campaign_id)
    WHERE kind = 'campaign' AND revoked_at IS NULL;
CREATE UNIQUE INDEX tokens_one_per_source_method ON tokens (source_id, kind)
    WHERE kind IN ('source_form', 'source_ping', 'source_post') AND revoked_at IS NULL;
CREATE UNIQUE INDEX tokens_one_public ON tokens ((TRUE))
    WHERE kind = 'account_public' AND revoked_at IS NULL;

CREATE INDEX tokens_user_id_idx ON tokens (user_id);
CREATE INDEX tokens_campaign_id_idx ON tokens (campaign_id);
CREATE INDEX tokens_expiry_idx ON tokens (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;

-- Organisation token policy: an optional maximum lifetime for new personal tokens.
ALTER TABLE org_settings ADD COLUMN personal_token_max_days INTEGER
    CHECK (personal_token_max_days IS NULL OR personal_token_max_days BETWEEN 1 AND 3650);
