ALTER TABLE org_settings ADD COLUMN destinations_allow_loopback boolean NOT NULL DEFAULT false;
