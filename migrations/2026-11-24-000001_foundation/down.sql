DROP TABLE outbox;
DROP TABLE audit_events;
DROP FUNCTION keyward_audit_append_only();
DROP TABLE org_settings;
DROP TABLE login_failures;
DROP TABLE account_links;
DROP TABLE sessions;
DROP TABLE users;
