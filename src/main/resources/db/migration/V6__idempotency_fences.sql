-- A refusal that is not kept for its Idempotency-Key (the risk fallback's, decided while risk was
-- unavailable) leaves a fence: an earlier attempt with the same key that is still on its way (held
-- by a frozen node, say) must never commit after the client was told "declined". The ledger
-- answers such an attempt "superseded, nothing applied" instead. A later attempt (received after
-- the fence) is decided afresh, as docs/contract.md (Idempotency) promises for the fallback's refusals.
CREATE TABLE idempotency_fences (
  tenant    text        NOT NULL,
  key       text        NOT NULL,
  fenced_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, key)
);
