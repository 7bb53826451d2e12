-- API users (seed 004): users that hold personal tokens for the REST API
-- and never sign in. They have no email address: `email` holds their
-- handle, `api:<slug>`, unique like an address and never mailed. Each has
-- an owner, the person answerable for it.
ALTER TABLE users
    ADD COLUMN kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'api')),
    ADD COLUMN owner_id bigint REFERENCES users (id);

ALTER TABLE users ADD CONSTRAINT users_api_users_never_sign_in CHECK (
    kind = 'person'
    OR (password_hash IS NULL AND owner_id IS NOT NULL AND email LIKE 'api:%')
);
ALTER TABLE users ADD CONSTRAINT users_people_have_addresses CHECK (kind = 'api' OR email NOT LIKE 'api:%');
