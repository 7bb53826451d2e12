-- Lead files (seed 001). Kept in PostgreSQL, so that a database backup
-- holds everything: a row of metadata per file, its bytes in chunks of
-- 256 KiB. Chunks rather than large objects: they go with their lead
-- (ON DELETE CASCADE, where large objects would need lo_unlink and
-- vacuumlo), they are plain rows for pg_dump, logical replication and
-- PgBouncer's transaction mode, and a range request reads only the chunks
-- it needs.
CREATE TABLE lead_files (
    id bigserial PRIMARY KEY,
    lead_id bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size bigint NOT NULL CHECK (size >= 0),
    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
    created_at timestamptz NOT NULL
);
CREATE INDEX lead_files_by_lead ON lead_files (lead_id, id);

CREATE TABLE lead_file_chunks (
    file_id bigint NOT NULL REFERENCES lead_files (id) ON DELETE CASCADE,
    seq integer NOT NULL CHECK (seq >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (file_id, seq)
);
-- PDFs, PNGs and JPEGs are compressed already: do not try again.
ALTER TABLE lead_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- Which content types a campaign accepts as lead files.
ALTER TABLE campaigns ADD COLUMN file_types text[] NOT NULL
    DEFAULT ARRAY['application/pdf', 'image/png', 'image/jpeg', 'text/csv', 'text/plain'];
