-- Risk owns these tables. Every version of a tenant's rule set is kept (who changed it, when, in
-- which request); the head row names the version in force and is what each node polls.

CREATE TABLE risk_rule_sets (
  tenant     text        NOT NULL,
  version    bigint      NOT NULL CHECK (version > 0),
  rules      jsonb       NOT NULL,
  changed_by text        NOT NULL,
  request_id text,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant, version)
);

-- One row per tenant that ever had rules. The upsert that bumps it serializes concurrent PUTs of
-- one tenant; the deferred key makes sure the head always names a stored version.
CREATE TABLE risk_rule_heads (
  tenant  text   PRIMARY KEY,
  version bigint NOT NULL CHECK (version > 0),
  CONSTRAINT head_names_a_stored_version FOREIGN KEY (tenant, version)
    REFERENCES risk_rule_sets (tenant, version) DEFERRABLE INITIALLY DEFERRED
);
