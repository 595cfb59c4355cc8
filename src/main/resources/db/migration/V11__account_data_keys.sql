-- Privacy: each account's data key, which seals its customer fields (owner_ref, metadata) and the
-- reference and metadata of the transfers it debits. Stored wrapped by a key-encryption key that
-- never enters the database; this row is the only copy of the key, so deleting it is the erasure
-- (crypto-shredding): every value sealed with it becomes unreadable, in every table and in every
-- copy (idempotency answers, audit records), while the audit chain, which hashes the ciphertext,
-- stays whole. key_id is what a sealed value names (fc1:<key_id>:...); account_id has no foreign
-- key so that a key can be made before its account's row in the same transaction.
CREATE TABLE account_keys (
  account_id text        PRIMARY KEY,
  key_id     text        NOT NULL UNIQUE,
  kek_id     text        NOT NULL,
  wrapped    text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_keys_by_kek ON account_keys (kek_id);

-- When an account's customer fields were erased (null: never).
ALTER TABLE accounts ADD COLUMN erased_at timestamptz;
