-- The event log. One writer at a time (BEGIN IMMEDIATE) assigns gap-free positions.
CREATE TABLE folio_events (
    position        INTEGER NOT NULL PRIMARY KEY CHECK (position > 0),
    event_id        BLOB    NOT NULL UNIQUE,
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version > 0),
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    -- microseconds since the Unix epoch, UTC
    recorded_at     INTEGER NOT NULL,
    UNIQUE (stream_id, stream_version)
);
