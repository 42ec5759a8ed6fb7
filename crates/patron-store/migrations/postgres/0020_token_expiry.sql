-- Personal API tokens expire (security.token_valid_days at creation). The default 0 means
-- "already expired", so a row written without a lifetime can never authenticate. Tokens that
-- exist at the upgrade get the default lifetime from now, instead of dying at once.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) + 7776000000;
