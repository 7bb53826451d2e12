-- Public data services (seed 004): a super admin marks the non-personal
-- fields of a campaign whose values the public token may list.
ALTER TABLE fields ADD COLUMN public boolean NOT NULL DEFAULT false;
