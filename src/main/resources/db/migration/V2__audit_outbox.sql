-- Every service writes one row here in the transaction of the change it records; only the audit
-- service reads them (it seals them into the hash chain).
CREATE TABLE audit_outbox (
  id          bigserial PRIMARY KEY,
  tenant      text        NOT NULL,
  actor       text        NOT NULL,
  action      text        NOT NULL,
  entity_type text        NOT NULL,
  entity_id   text,
  success     boolean     NOT NULL,
  origin      text,
  request_id  text,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  data        jsonb       NOT NULL DEFAULT '{}'
);
