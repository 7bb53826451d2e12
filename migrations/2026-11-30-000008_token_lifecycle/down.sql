ALTER TABLE org_settings ADD COLUMN personal_token_max_days integer;
UPDATE org_settings SET personal_token_max_days = (SELECT max_days FROM token_policies WHERE kind = 'personal');
ALTER TABLE org_settings DROP COLUMN leak_action;
DROP TABLE instances;
DROP TABLE token_leaks;
DROP TABLE token_ips;
DROP TABLE token_usage_daily;
DROP TABLE token_policies;
DROP INDEX tokens_retiring_idx;
DROP INDEX tokens_one_profile_per_user;
CREATE UNIQUE INDEX tokens_one_profile_per_user ON tokens (user_id) WHERE kind = 'profile' AND revoked_at IS NULL;
DROP INDEX tokens_one_global;
CREATE UNIQUE INDEX tokens_one_global ON tokens ((TRUE)) WHERE kind = 'global' AND revoked_at IS NULL;
DROP INDEX tokens_one_per_campaign;
CREATE UNIQUE INDEX tokens_one_per_campaign ON tokens (campaign_id) WHERE kind = 'campaign' AND revoked_at IS NULL;
DROP INDEX tokens_one_per_source_method;
CREATE UNIQUE INDEX tokens_one_per_source_method ON tokens (source_id, kind)
    WHERE kind IN ('source_form', 'source_ping', 'source_post') AND revoked_at IS NULL;
DROP INDEX tokens_one_public;
CREATE UNIQUE INDEX tokens_one_public ON tokens ((TRUE)) WHERE kind = 'account_public' AND revoked_at IS NULL;
DELETE FROM tokens WHERE kind = 'reporter';
ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check CHECK (kind IN (
    'global', 'campaign', 'source_form', 'source_ping', 'source_post',
    'campaign_api', 'personal', 'profile', 'account_public', 'account_private', 'destination'
));
ALTER TABLE tokens DROP COLUMN allowed_ips, DROP COLUMN rate_per_second, DROP COLUMN rate_per_minute;
