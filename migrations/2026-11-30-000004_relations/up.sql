-- Relations (seed 001): a named link from a campaign's leads to leads of
-- another campaign (or the same one), to one lead or to many.
CREATE TABLE relations (
    id bigserial PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    slug text NOT NULL,
    label text NOT NULL,
    target_campaign_id bigint NOT NULL REFERENCES campaigns (id),
    many boolean NOT NULL DEFAULT false,
    required boolean NOT NULL DEFAULT false,
    -- When a linked-to lead is deleted: refuse while it is linked to, or
    -- drop the links.
    on_delete text NOT NULL DEFAULT 'restrict' CHECK (on_delete IN ('restrict', 'unlink')),
    position integer NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, slug)
);

CREATE TABLE lead_links (
    lead_id bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    relation_id bigint NOT NULL REFERENCES relations (id) ON DELETE CASCADE,
    -- Deleting a target is checked by Keyward first (restrict); what
    -- reaches the database is an unlink.
    target_id bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    PRIMARY KEY (lead_id, relation_id, target_id)
);
CREATE INDEX lead_links_by_target ON lead_links (target_id);

-- Leads can be deleted now: the ping a lead came from forgets it.
ALTER TABLE pings
    DROP CONSTRAINT pings_lead_id_fkey,
    ADD CONSTRAINT pings_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE SET NULL;
