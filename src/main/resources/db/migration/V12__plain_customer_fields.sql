-- Privacy, for a deployment upgrading: rows written before V11 (and, during a rolling upgrade, by
-- nodes of the older version) keep customer fields in clear. The accounts service seals them in
-- the background (fincloud.accounts.PlainFieldsBackfill). These partial indexes hold exactly the
-- rows still in clear, so that each round finds them without reading whole tables, and so that,
-- once everything is sealed, looking again costs nothing: a sealed row never enters them. A value
-- is sealed when it has the form fc1:<data key id>:<ciphertext> (metadata: {"encrypted": "fc1:..."}
-- alone); the backfill's queries repeat these predicates (same expressions), which is what lets the
-- planner use the indexes.
CREATE INDEX accounts_plain ON accounts (id)
  WHERE erased_at IS NULL AND (coalesce(owner_ref, 'fc1::') NOT LIKE 'fc1:%:%'
    OR coalesce(metadata ->> 'encrypted', '') NOT LIKE 'fc1:%:%' OR metadata - 'encrypted' <> '{}'::jsonb);

CREATE INDEX transfers_plain ON transfers (id)
  WHERE coalesce(reference, 'fc1::') NOT LIKE 'fc1:%:%'
    OR coalesce(metadata ->> 'encrypted', '') NOT LIKE 'fc1:%:%' OR metadata - 'encrypted' <> '{}'::jsonb;

-- An answer (an account, a transfer, or a batch's {"transfers": [...]}) with a customer field in
-- clear, looked for down to a batch's transfers (two levels below the answer).
CREATE INDEX idempotency_records_plain ON idempotency_records (created_at)
  WHERE jsonb_path_exists(response, 'lax $.**{0 to 2} ? ((@.ownerRef.type() == "string" && !(@.ownerRef like_regex "^fc1:[^:]*:"))
    || (@.reference.type() == "string" && !(@.reference like_regex "^fc1:[^:]*:"))
    || (@.metadata.type() == "object" && !(@.metadata.encrypted like_regex "^fc1:[^:]*:")))');
