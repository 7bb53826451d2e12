ALTER TABLE org_settings DROP COLUMN personal_token_max_days;
DROP TABLE tokens;
