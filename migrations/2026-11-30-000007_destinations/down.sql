ALTER TABLE org_settings DROP COLUMN destinations_allow_private, DROP COLUMN destinations_allow_http;
DROP TABLE webhook_attempts;
DROP TABLE webhook_events;
DELETE FROM tokens WHERE kind = 'destination';
ALTER TABLE tokens DROP CONSTRAINT tokens_destination_check;
ALTER TABLE tokens DROP CONSTRAINT tokens_sealed_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_check CHECK ((sealed IS NOT NULL) = (kind IN (
    'global', 'campaign', 'source_form', 'source_ping', 'source_post', 'campaign_api', 'account_public'
)));
ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check CHECK (kind IN (
    'global', 'campaign', 'source_form', 'source_ping', 'source_post',
    'campaign_api', 'personal', 'profile', 'account_public', 'account_private'
));
ALTER TABLE tokens DROP COLUMN retiring_until, DROP COLUMN destination_id;
DROP TABLE destinations;
