ALTER TABLE org_settings DROP COLUMN destinations_allow_loopback;
