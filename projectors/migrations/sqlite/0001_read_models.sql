-- Read models (the embedded profile's twin of migrations/postgres; see there for what each is).
-- uuids are 16-byte BLOBs; times are INTEGER microseconds since the Unix epoch (UTC), so they
-- compare and sort as numbers.

CREATE TABLE projection_checkpoints (
    projection    TEXT    NOT NULL PRIMARY KEY,
    position      INTEGER NOT NULL DEFAULT 0,
    state         TEXT    NOT NULL DEFAULT 'running',
    last_event_at INTEGER,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE projection_parked (
    projection  TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    event_id    BLOB    NOT NULL,
    event_type  TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    parked_at   INTEGER NOT NULL,
    PRIMARY KEY (projection, position)
);

CREATE TABLE content_types (
    name       TEXT    NOT NULL PRIMARY KEY,
    definition TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    position   INTEGER NOT NULL
);

CREATE TABLE content_items (
    id           BLOB    NOT NULL PRIMARY KEY,
    type         TEXT    NOT NULL,
    slug         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    publish_at   INTEGER,
    archived_at  INTEGER,
    fields       TEXT    NOT NULL,
    embed        TEXT    NOT NULL,
    document     TEXT    NOT NULL
);
CREATE INDEX content_items_slug_idx ON content_items (type, slug);
CREATE INDEX content_items_list_idx ON content_items (type, status, published_at DESC, id DESC);

-- Full text: rowid = content_items.rowid; unicode61 does no stemming, like Postgres's 'simple'
-- configuration, so both profiles match the same words.
CREATE VIRTUAL TABLE content_search USING fts5 (title, body, tokenize = 'unicode61');

CREATE TABLE content_refs (
    item_id      BLOB    NOT NULL,
    field        TEXT    NOT NULL,
    target       BLOB    NOT NULL,
    depth        INTEGER NOT NULL,
    ord          INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    published_at INTEGER,
    PRIMARY KEY (item_id, field, target)
) WITHOUT ROWID;
CREATE INDEX content_refs_target_idx ON content_refs (target, field, status, published_at DESC, item_id DESC);

CREATE TABLE content_values (
    item_id BLOB NOT NULL,
    field   TEXT NOT NULL,
    type    TEXT NOT NULL,
    status  TEXT NOT NULL,
    num     REAL,
    txt     TEXT,
    PRIMARY KEY (item_id, field)
) WITHOUT ROWID;
CREATE INDEX content_values_num_idx ON content_values (type, field, status, num, item_id) WHERE num IS NOT NULL;
CREATE INDEX content_values_txt_idx ON content_values (type, field, status, txt, item_id) WHERE txt IS NOT NULL;

CREATE TABLE comments (
    id         BLOB    NOT NULL PRIMARY KEY,
    item_id    BLOB    NOT NULL,
    type       TEXT    NOT NULL,
    parent_id  BLOB,
    thread     TEXT    NOT NULL,
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    removed    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    edited_at  INTEGER,
    position   INTEGER NOT NULL
);
CREATE INDEX comments_thread_idx ON comments (item_id, thread) WHERE removed = 0;

CREATE TABLE item_counters (
    item_id   BLOB    NOT NULL PRIMARY KEY,
    views     INTEGER NOT NULL DEFAULT 0,
    likes     INTEGER NOT NULL DEFAULT 0,
    shares    INTEGER NOT NULL DEFAULT 0,
    bookmarks INTEGER NOT NULL DEFAULT 0,
    comments  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE user_items (
    user_id         TEXT    NOT NULL,
    item_id         BLOB    NOT NULL,
    first_viewed_at INTEGER,
    last_viewed_at  INTEGER,
    views           INTEGER NOT NULL DEFAULT 0,
    liked           INTEGER,
    bookmarked      INTEGER,
    PRIMARY KEY (user_id, item_id)
) WITHOUT ROWID;
CREATE INDEX user_items_history_idx ON user_items (user_id, last_viewed_at DESC, item_id) WHERE last_viewed_at IS NOT NULL;
