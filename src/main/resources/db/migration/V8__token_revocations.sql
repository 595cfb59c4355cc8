-- Revoked access tokens (by their jti, within the tenant of the admin who revoked them). Every
-- gateway reads the rows whose until has not passed, every second, into memory: a revocation takes
-- effect on every node within seconds. A row past its until is useless (the token has expired, and
-- no token lives longer than gateway.jwks.maxLifetimeSeconds) and is deleted by later revocations.
CREATE TABLE token_revocations (
  tenant     text        NOT NULL,
  jti        text        NOT NULL,
  until      timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  revoked_by text        NOT NULL,
  PRIMARY KEY (tenant, jti)
);
CREATE INDEX token_revocations_until ON token_revocations (until);
