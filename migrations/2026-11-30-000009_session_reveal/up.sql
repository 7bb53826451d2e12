-- A secret an action just made (Regenerate, Generate, a new token), sealed
-- with the master key, kept on the session between the POST and the GET
-- that shows it, and cleared by that GET: a refresh or Back shows it no
-- more, and resubmits nothing.
ALTER TABLE sessions ADD COLUMN reveal bytea;
