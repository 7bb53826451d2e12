ALTER TABLE campaigns DROP COLUMN file_types;
DROP TABLE lead_file_chunks;
DROP TABLE lead_files;
