-- The token signing keys' private halves leave the database: a read of a backup must not let
-- anyone sign tokens. Each node now takes its private key from its configuration or a key file,
-- and publishes here only the public half, so that every node verifies every node's tokens.
-- Private material already stored is deleted; its public halves are kept, so that tokens signed
-- with it verify until they expire. A key whose retired_at is set keeps verifying for the longest
-- token lifetime (gateway.jwks.maxLifetimeSeconds) after it, and no longer.
ALTER TABLE signing_keys ADD COLUMN public_jwk text;
UPDATE signing_keys SET public_jwk = (private_jwk::jsonb - 'd')::text;
ALTER TABLE signing_keys ALTER COLUMN public_jwk SET NOT NULL;
ALTER TABLE signing_keys DROP COLUMN private_jwk;
-- Stored private keys never sign again: retired now, so they verify only what they already signed.
ALTER TABLE signing_keys ADD COLUMN retired_at timestamptz;
UPDATE signing_keys SET retired_at = now();
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_public_only CHECK (NOT (public_jwk::jsonb ? 'd'));
