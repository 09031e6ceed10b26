-- One row per stream (its first event); SQLite compares text bytewise, so a category's streams
-- are the range '<category>-' <= stream_id < '<category>.'.
CREATE INDEX folio_events_streams_idx ON folio_events (stream_id) WHERE stream_version = 1;
