DROP INDEX tokens_filter_id_idx;
DROP INDEX tokens_source_id_idx;
ALTER TABLE tokens
    DROP CONSTRAINT tokens_campaign_fk,
    DROP CONSTRAINT tokens_source_fk,
    DROP CONSTRAINT tokens_filter_fk;
ALTER TABLE org_settings DROP COLUMN global_token_enabled;
DROP TABLE pings;
DROP TABLE leads;
DROP TABLE filter_conditions;
DROP TABLE filters;
DROP TABLE statuses;
DROP TABLE select_options;
DROP TABLE selects;
DROP TABLE fields;
DROP TABLE sources;
DROP TABLE campaigns;
