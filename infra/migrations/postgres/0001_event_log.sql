-- The event log. Positions are assigned by the single appender that holds the row lock on
-- folio_log_head, so they are gap-free and commit in position order (see ARCHITECTURE.md).
CREATE TABLE folio_events (
    position        bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    event_type      text        NOT NULL,
    schema_version  smallint    NOT NULL,
    -- json, not jsonb: stored verbatim (cheaper to write and read back; every JSON text is accepted).
    data            json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    CONSTRAINT folio_events_pkey PRIMARY KEY (position),
    CONSTRAINT folio_events_event_id_key UNIQUE (event_id),
    CONSTRAINT folio_events_stream_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT folio_events_position_check CHECK (position > 0),
    CONSTRAINT folio_events_stream_version_check CHECK (stream_version > 0)
);

CREATE TABLE folio_log_head (
    singleton boolean NOT NULL DEFAULT true,
    position  bigint  NOT NULL,
    CONSTRAINT folio_log_head_pkey PRIMARY KEY (singleton),
    CONSTRAINT folio_log_head_singleton_check CHECK (singleton)
);

INSERT INTO folio_log_head (singleton, position) VALUES (true, 0);
