-- One row per stream (its first event), in byte order, so the streams of a category are an index
-- range: stream_id COLLATE "C" >= '<category>-' AND < '<category>.' ('.' follows '-' in ASCII).
-- COLLATE "C" makes that range a prefix match whatever the database's locale.
CREATE INDEX folio_events_streams_idx ON folio_events ((stream_id COLLATE "C")) WHERE stream_version = 1;
