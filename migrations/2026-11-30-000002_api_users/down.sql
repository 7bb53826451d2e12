DELETE FROM users WHERE kind = 'api';
ALTER TABLE users DROP CONSTRAINT users_people_have_addresses;
ALTER TABLE users DROP CONSTRAINT users_api_users_never_sign_in;
ALTER TABLE users DROP COLUMN owner_id, DROP COLUMN kind;
