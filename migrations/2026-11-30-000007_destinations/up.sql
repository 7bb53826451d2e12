-- Destinations (seed 002's "receive data in your destination via
-- webhooks"): a campaign's leads and token events, delivered signed to a
-- URL. Its signing secret is a token of its own kind (`kw_whk_`), kept
-- sealed because Keyward signs with it; a regenerated secret may keep
-- signing beside the new one until `retiring_until`.
CREATE TABLE destinations (
    id bigserial PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    filter_id bigint REFERENCES filters (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    url text NOT NULL CHECK (length(url) <= 2000),
    events text[] NOT NULL,
    active boolean NOT NULL DEFAULT true,
    paused_reason text,
    owner_id bigint NOT NULL REFERENCES users (id),
    -- The first failed delivery since the last success.
    failing_since timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX destinations_by_campaign ON destinations (campaign_id);

ALTER TABLE tokens
    ADD COLUMN destination_id bigint REFERENCES destinations (id) ON DELETE CASCADE,
    ADD COLUMN retiring_until timestamptz;
ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check CHECK (kind IN (
    'global', 'campaign', 'source_form', 'source_ping', 'source_post',
    'campaign_api', 'personal', 'profile', 'account_public', 'account_private', 'destination'
));
ALTER TABLE tokens DROP CONSTRAINT tokens_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_sealed_check CHECK ((sealed IS NOT NULL) = (kind IN (
    'global', 'campaign', 'source_form', 'source_ping', 'source_post', 'campaign_api', 'account_public', 'destination'
)));
ALTER TABLE tokens ADD CONSTRAINT tokens_destination_check CHECK ((kind = 'destination') = (destination_id IS NOT NULL));
CREATE INDEX tokens_by_destination ON tokens (destination_id) WHERE destination_id IS NOT NULL;

-- Events waiting for (or done with) delivery: written in the same
-- transaction as the change that causes them. In order per lead and
-- destination; claimed with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE webhook_events (
    id bigserial PRIMARY KEY,
    public_id text NOT NULL UNIQUE,
    destination_id bigint NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
    event text NOT NULL,
    lead_id bigint,
    payload jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_events_by_lead ON webhook_events (destination_id, lead_id, id) WHERE state = 'pending';
CREATE INDEX webhook_events_by_destination ON webhook_events (destination_id, id DESC);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id bigserial PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    destination_id bigint NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    status_code integer,
    latency_ms integer NOT NULL,
    error text,
    response text,
    next_attempt_at timestamptz,
    at timestamptz NOT NULL
);
CREATE INDEX webhook_attempts_by_destination ON webhook_attempts (destination_id, id DESC);

-- Where destinations may point, beyond public HTTPS addresses.
ALTER TABLE org_settings
    ADD COLUMN destinations_allow_private boolean NOT NULL DEFAULT false,
    ADD COLUMN destinations_allow_http boolean NOT NULL DEFAULT false;
