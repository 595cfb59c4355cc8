-- The ledger: one bounded context shared by the accounts and payments verticles, because a money
-- movement changes accounts, transfers, entries and idempotency records in one transaction.
-- Invariants the database itself enforces (a bug in the writer fails its batch, never the books):
--   * every transfer moves a positive amount between two distinct accounts of one currency;
--   * pending is never negative; available (posted - pending) never goes below -overdraft_limit
--     unless the account allows negative balances;
--   * an entry belongs to an account and a transfer.

CREATE TABLE accounts (
  id              text PRIMARY KEY,
  tenant          text        NOT NULL,
  currency        char(3)     NOT NULL,
  status          text        NOT NULL CHECK (status IN ('ACTIVE', 'FROZEN', 'CLOSED')),
  overdraft_limit bigint      NOT NULL CHECK (overdraft_limit >= 0),
  allow_negative  boolean     NOT NULL,
  owner_ref       text,
  metadata        jsonb       NOT NULL DEFAULT '{}',
  posted          bigint      NOT NULL DEFAULT 0,
  pending         bigint      NOT NULL DEFAULT 0 CHECK (pending >= 0),
  created_at      timestamptz NOT NULL,
  CONSTRAINT available_within_limit CHECK (allow_negative OR posted - pending >= -overdraft_limit)
);
CREATE INDEX accounts_by_tenant ON accounts (tenant, id);

CREATE TABLE transfers (
  id                text PRIMARY KEY,
  tenant            text        NOT NULL,
  debit_account_id  text        NOT NULL REFERENCES accounts (id),
  credit_account_id text        NOT NULL REFERENCES accounts (id),
  amount            bigint      NOT NULL CHECK (amount > 0),
  currency          char(3)     NOT NULL,
  mode              text        NOT NULL CHECK (mode IN ('IMMEDIATE', 'PENDING')),
  status            text        NOT NULL CHECK (status IN ('POSTED', 'PENDING', 'VOIDED')),
  posted_amount     bigint      CHECK (posted_amount > 0 AND posted_amount <= amount),
  reference         text,
  metadata          jsonb       NOT NULL DEFAULT '{}',
  risk              jsonb,
  created_at        timestamptz NOT NULL,
  posted_at         timestamptz,
  expires_at        timestamptz,
  void_reason       text,
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((status = 'POSTED') = (posted_amount IS NOT NULL))
);
CREATE INDEX transfers_by_tenant ON transfers (tenant, id);
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, id);
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, id);
CREATE INDEX transfers_expiring ON transfers (expires_at) WHERE status = 'PENDING';

CREATE TABLE entries (
  id            bigserial PRIMARY KEY,
  account_id    text        NOT NULL REFERENCES accounts (id),
  transfer_id   text        NOT NULL REFERENCES transfers (id),
  side          text        NOT NULL CHECK (side IN ('DEBIT', 'CREDIT')),
  amount        bigint      NOT NULL CHECK (amount > 0),
  balance_after bigint      NOT NULL,
  posted_at     timestamptz NOT NULL
);
CREATE INDEX entries_by_account ON entries (account_id, id);
CREATE INDEX entries_by_transfer ON entries (transfer_id);

-- The first answer to a request with an Idempotency-Key, per tenant. In-flight requests leave no
-- row: they are known by a transaction-scoped advisory lock, which a crash releases.
CREATE TABLE idempotency_records (
  tenant       text        NOT NULL,
  key          text        NOT NULL,
  request_hash text        NOT NULL,
  status       int         NOT NULL,
  response     jsonb       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, key)
);
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
