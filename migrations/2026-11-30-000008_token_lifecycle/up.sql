-- The token lifecycle (issue 16): rotation with a grace period (a
-- regenerated token keeps working until `retiring_until`, so the
-- one-live-token-per-scope indexes skip retiring tokens), IP allowlists,
-- per-token rate limits, an expiry policy per kind, usage per day, and
-- leak reports with a reporter token of their own kind.
ALTER TABLE tokens
    ADD COLUMN allowed_ips text[] NOT NULL DEFAULT '{}',
    ADD COLUMN rate_per_second integer CHECK (rate_per_second > 0),
    ADD COLUMN rate_per_minute integer CHECK (rate_per_minute > 0);

ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check CHECK (kind IN (
    'global', 'campaign', 'source_form', 'source_ping', 'source_post',
    'campaign_api', 'personal', 'profile', 'account_public', 'account_private', 'destination', 'reporter'
));

DROP INDEX tokens_one_profile_per_user;
CREATE UNIQUE INDEX tokens_one_profile_per_user ON tokens (user_id)
    WHERE kind = 'profile' AND revoked_at IS NULL AND retiring_until IS NULL;
DROP INDEX tokens_one_global;
CREATE UNIQUE INDEX tokens_one_global ON tokens ((TRUE))
    WHERE kind = 'global' AND revoked_at IS NULL AND retiring_until IS NULL;
DROP INDEX tokens_one_per_campaign;
CREATE UNIQUE INDEX tokens_one_per_campaign ON tokens (campaign_id)
    WHERE kind = 'campaign' AND revoked_at IS NULL AND retiring_until IS NULL;
DROP INDEX tokens_one_per_source_method;
CREATE UNIQUE INDEX tokens_one_per_source_method ON tokens (source_id, kind)
    WHERE kind IN ('source_form', 'source_ping', 'source_post') AND revoked_at IS NULL AND retiring_until IS NULL;
DROP INDEX tokens_one_public;
CREATE UNIQUE INDEX tokens_one_public ON tokens ((TRUE))
    WHERE kind = 'account_public' AND revoked_at IS NULL AND retiring_until IS NULL;
CREATE INDEX tokens_retiring_idx ON tokens (retiring_until) WHERE revoked_at IS NULL AND retiring_until IS NOT NULL;

-- The organisation's policy per kind: lifetimes, retention of expired
-- tokens, default rate limits.
CREATE TABLE token_policies (
    kind text PRIMARY KEY,
    max_days integer CHECK (max_days BETWEEN 1 AND 3650),
    default_days integer CHECK (default_days BETWEEN 1 AND 3650),
    never_allowed boolean NOT NULL DEFAULT true,
    retention_days integer NOT NULL DEFAULT 0 CHECK (retention_days BETWEEN 0 AND 3650),
    rate_per_second integer CHECK (rate_per_second > 0),
    rate_per_minute integer CHECK (rate_per_minute > 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (default_days IS NULL OR max_days IS NULL OR default_days <= max_days)
);
-- What the personal-token limit was, kept.
INSERT INTO token_policies (kind, max_days, default_days, never_allowed)
SELECT 'personal', personal_token_max_days, personal_token_max_days, personal_token_max_days IS NULL
FROM org_settings WHERE personal_token_max_days IS NOT NULL;

-- Uses and refusals per token and day, for 90 days (fed by the usage flush).
CREATE TABLE token_usage_daily (
    token_id bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    day date NOT NULL,
    uses bigint NOT NULL DEFAULT 0,
    refused jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (token_id, day)
);
CREATE INDEX token_usage_daily_by_day ON token_usage_daily (day);

-- The last addresses each token was used from.
CREATE TABLE token_ips (
    token_id bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    ip text NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (token_id, ip)
);

-- Live instances, so that a per-token rate limit is shared out among them.
CREATE TABLE instances (
    id text PRIMARY KEY,
    started_at timestamptz NOT NULL,
    last_seen timestamptz NOT NULL
);

-- Leak reports that named a live token: where it was found, and what
-- Keyward did (revoked it, or only flagged it).
CREATE TABLE token_leaks (
    id bigserial PRIMARY KEY,
    token_id bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    reported_at timestamptz NOT NULL,
    url text NOT NULL,
    source text NOT NULL,
    action text NOT NULL CHECK (action IN ('revoked', 'flagged')),
    reporter text NOT NULL
);
CREATE INDEX token_leaks_by_token ON token_leaks (token_id, reported_at DESC);

-- What a leak report does to a live token: revoke it, or only flag it.
ALTER TABLE org_settings ADD COLUMN leak_action text NOT NULL DEFAULT 'revoke' CHECK (leak_action IN ('revoke', 'flag'));
ALTER TABLE org_settings DROP COLUMN personal_token_max_days;
