-- API keys, for the query API to verify keys without reading the event store. Written only by the
-- `keys` projection, from `ApiKeyIssued` and `ApiKeyRevoked` on the `apikey-<uuid>` streams, and
-- rebuildable from them like every read model.
--
-- Only the lowercase hex SHA-256 of a key's secret is kept, never the secret. `role` is the
-- role's serde name (admin, editor, author, moderator, site). Revocation is sticky: once a row
-- says revoked it stays revoked. A revoke for a key never seen issued (its `ApiKeyIssued` parked)
-- leaves a revoked marker: `issued_at` NULL, `role` and `secret_sha256` empty, which no key
-- matches; an `ApiKeyIssued` replayed later fills it in and the key stays revoked.
-- `position` is the highest global position applied to the row.
CREATE TABLE api_keys (
    key_id        uuid        NOT NULL PRIMARY KEY,
    role          text        NOT NULL,
    secret_sha256 text        NOT NULL,
    label         text,
    revoked       boolean     NOT NULL DEFAULT false,
    issued_at     timestamptz,
    revoked_at    timestamptz,
    position      bigint      NOT NULL
);
