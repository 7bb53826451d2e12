DROP TABLE idempotency_keys;
ALTER TABLE org_settings DROP COLUMN master_key_check;
