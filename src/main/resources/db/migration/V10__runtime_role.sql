-- Least privilege: the node runs as a member of fincloud_runtime, which may read and write the
-- ledger's tables but may only insert and select the audit tables (no UPDATE, DELETE, TRUNCATE,
-- and as it owns nothing, no ALTER or DROP). The role that runs the migrations owns every table.
-- Roles belong to the server, not the database: created once, whichever database comes first.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fincloud_runtime') THEN
    CREATE ROLE fincloud_runtime NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database's migration created it at the same moment
END
$$;

GRANT USAGE ON SCHEMA public TO fincloud_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO fincloud_runtime;
REVOKE ALL ON flyway_schema_history FROM fincloud_runtime;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints FROM fincloud_runtime;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO fincloud_runtime;
-- Tables of later migrations are the ledger's unless a migration says otherwise.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO fincloud_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO fincloud_runtime;
