-- Full verifications of an audit chain, run in the background (POST /v1/audit/full-verification)
-- with their progress, readable from every node. A completed one is signed with the checkpoint key
-- (jws): GET /v1/audit/verify recomputes a long chain only from the last signed, valid one, and
-- trusts nothing in this table that the key did not sign.
CREATE TABLE audit_verifications (
  id                bigserial   PRIMARY KEY,
  tenant            text        NOT NULL,
  status            text        NOT NULL CHECK (status IN ('RUNNING', 'DONE', 'FAILED')),
  started_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at       timestamptz,
  checked           bigint      NOT NULL DEFAULT 0,
  head_seq          bigint      NOT NULL DEFAULT 0,
  verdict           jsonb,
  jws               text
);
CREATE INDEX audit_verifications_tenant ON audit_verifications (tenant, id);
