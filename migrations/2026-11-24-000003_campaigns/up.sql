-- Campaigns, their sources and structure (fields, selects and options,
-- statuses, filters), the leads that intake stores, and pings waiting for
-- their post. Slugs are fixed once created (leads store them); labels can
-- change.

CREATE TABLE campaigns (
    id BIGSERIAL PRIMARY KEY,
    -- Names the campaign in public documentation URLs without revealing ids.
    public_id TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- Campaign Token Authentication (the campaign level of intake).
    token_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    archived_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sources (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Custom Source, Marketing Partner, Media Channel.
    kind TEXT NOT NULL CHECK (kind IN ('CS', 'MP', 'MC')),
    form_token_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    ping_token_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    post_token_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, slug)
);

CREATE TABLE fields (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    slug TEXT NOT NULL,
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    field_type TEXT NOT NULL CHECK (field_type IN ('text', 'email', 'phone', 'number', 'date')),
    required BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, slug)
);

CREATE TABLE selects (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    slug TEXT NOT NULL,
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    UNIQUE (campaign_id, slug)
);

CREATE TABLE select_options (
    id BIGSERIAL PRIMARY KEY,
    select_id BIGINT NOT NULL REFERENCES selects (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (select_id, slug)
);

CREATE TABLE statuses (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    slug TEXT NOT NULL,
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, slug)
);
-- At most one default status per campaign.
CREATE UNIQUE INDEX statuses_one_default ON statuses (campaign_id) WHERE is_default;

-- A filter is a named set of conditions "select = option", ANDed.
CREATE TABLE filters (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, name)
);

CREATE TABLE filter_conditions (
    id BIGSERIAL PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    select_id BIGINT NOT NULL REFERENCES selects (id),
    option_id BIGINT NOT NULL REFERENCES select_options (id),
    -- Two conditions on one select could never both hold.
    UNIQUE (filter_id, select_id)
);

CREATE TABLE leads (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    source_id BIGINT REFERENCES sources (id),
    status TEXT NOT NULL,
    -- Field slug -> value, and select slug -> option slug.
    fields JSONB NOT NULL DEFAULT '{}',
    selects JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX leads_campaign_idx ON leads (campaign_id, id);
CREATE INDEX leads_updated_idx ON leads (campaign_id, updated_at, id);
-- Filters are containment queries on the selects: selects @> '{"s": "O"}'.
CREATE INDEX leads_selects_idx ON leads USING GIN (selects jsonb_path_ops);

-- A ping holds a partial lead until its post arrives (once, before expiry,
-- from the same source).
CREATE TABLE pings (
    id BIGSERIAL PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    source_id BIGINT NOT NULL REFERENCES sources (id),
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    lead_id BIGINT REFERENCES leads (id)
);
CREATE INDEX pings_expires_idx ON pings (expires_at);

-- Global Token Authentication (the organisation level of intake).
ALTER TABLE org_settings ADD COLUMN global_token_enabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Token scopes point at real campaigns, sources and filters.
ALTER TABLE tokens
    ADD CONSTRAINT tokens_campaign_fk FOREIGN KEY (campaign_id) REFERENCES campaigns (id),
    ADD CONSTRAINT tokens_source_fk FOREIGN KEY (source_id) REFERENCES sources (id),
    ADD CONSTRAINT tokens_filter_fk FOREIGN KEY (filter_id) REFERENCES filters (id);
CREATE INDEX tokens_source_id_idx ON tokens (source_id);
CREATE INDEX tokens_filter_id_idx ON tokens (filter_id);
