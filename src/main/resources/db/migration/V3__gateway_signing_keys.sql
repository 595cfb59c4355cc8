-- The built-in token issuer's keys, shared by every node on this database so that a token issued
-- by one node is accepted by all. The newest key signs; all listed keys verify.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  algorithm   text        NOT NULL,
  private_jwk text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
