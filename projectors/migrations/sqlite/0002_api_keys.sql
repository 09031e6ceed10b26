-- API keys (the embedded profile's twin of migrations/postgres/0003_api_keys.sql; see there for
-- the rules). Written only by the `keys` projection. key_id is a 16-byte BLOB, revoked is 0/1,
-- times are INTEGER microseconds since the Unix epoch (UTC).
CREATE TABLE api_keys (
    key_id        BLOB    NOT NULL PRIMARY KEY,
    role          TEXT    NOT NULL,
    secret_sha256 TEXT    NOT NULL,
    label         TEXT,
    revoked       INTEGER NOT NULL DEFAULT 0,
    issued_at     INTEGER,
    revoked_at    INTEGER,
    position      INTEGER NOT NULL
);
