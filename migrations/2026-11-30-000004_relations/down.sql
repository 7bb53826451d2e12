ALTER TABLE pings
    DROP CONSTRAINT pings_lead_id_fkey,
    ADD CONSTRAINT pings_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id);
DROP TABLE lead_links;
DROP TABLE relations;
