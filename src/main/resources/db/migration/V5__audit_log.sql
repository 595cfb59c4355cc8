-- The sealed audit log: one hash chain per tenant, appended by the audit service's sealer from
-- audit_outbox. External auditors query this table directly: its columns are part of the contract,
-- and every hash can be recomputed with the "Audit hash canonical form" of openapi.yaml.
CREATE TABLE audit_log (
  tenant      text        NOT NULL,
  seq         bigint      NOT NULL CHECK (seq >= 1),
  at          timestamptz NOT NULL,
  actor       text,
  action      text        NOT NULL,
  entity_type text,
  entity_id   text,
  success     boolean     NOT NULL,
  origin      text,
  request_id  text,
  data        jsonb       NOT NULL,
  prev_hash   text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash        text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  -- Not part of the record or its hash: which outbox row it sealed (so that no row is ever sealed
  -- twice, whatever happens) and when it was sealed (the outbox-to-sealed lag is sealed_at - at).
  outbox_id   bigint      NOT NULL,
  sealed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant, seq)
);
CREATE UNIQUE INDEX audit_log_outbox_id ON audit_log (outbox_id);
CREATE INDEX audit_log_entity ON audit_log (tenant, entity_id, seq) WHERE entity_id IS NOT NULL;

-- Signed chain heads: {tenant, seq, hash, at} as a JWS signed with a key that is not in this
-- database. The jws is what counts; the other columns repeat its payload for queries.
CREATE TABLE audit_checkpoints (
  tenant text        NOT NULL,
  seq    bigint      NOT NULL,
  hash   text        NOT NULL,
  at     timestamptz NOT NULL,
  kid    text        NOT NULL,
  jws    text        NOT NULL,
  PRIMARY KEY (tenant, seq)
);

-- Sealed history is append-only: UPDATE, DELETE and TRUNCATE are refused for everyone who does not
-- turn triggers off (which needs a superuser, and is exactly the tampering verification detects).
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The sealer finds the tenants with pending rows by a loose scan of this index, and takes their
-- rows in id order.
CREATE INDEX audit_outbox_tenant ON audit_outbox (tenant, id);

-- A failed authentication by an unknown client has no actor.
ALTER TABLE audit_outbox ALTER COLUMN actor DROP NOT NULL;
