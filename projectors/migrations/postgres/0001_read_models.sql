-- Read models. Every table here is written only by projectors and can be rebuilt from the event
-- store alone (DESIGN invariant 5). Each projection owns its tables:
--   content:    content_types, content_items, content_refs, content_values
--   comments:   comments
--   engagement: item_counters, user_items

-- One row per projection (and per relay): how far it has applied the global log.
CREATE TABLE projection_checkpoints (
    projection    text        NOT NULL PRIMARY KEY,
    position      bigint      NOT NULL DEFAULT 0,
    state         text        NOT NULL DEFAULT 'running',
    -- recorded_at of the last event applied: lag in seconds is now() minus this when behind.
    last_event_at timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Events a projection could not apply after its retries: skipped, kept here with the error, to be
-- replayed after a fix.
CREATE TABLE projection_parked (
    projection  text        NOT NULL,
    position    bigint      NOT NULL,
    event_id    uuid        NOT NULL,
    event_type  text        NOT NULL,
    error       text        NOT NULL,
    attempts    integer     NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, position)
);

CREATE TABLE content_types (
    name       text   NOT NULL PRIMARY KEY,
    definition text   NOT NULL,
    version    bigint NOT NULL,
    position   bigint NOT NULL
);

-- One row per item: typed columns for what lists filter and sort on, the raw fields, what other
-- documents embed of it, and its pre-rendered document (references expanded; counters are spliced
-- in at read time from item_counters).
CREATE TABLE content_items (
    id           uuid        NOT NULL PRIMARY KEY,
    type         text        NOT NULL,
    slug         text        NOT NULL,
    status       text        NOT NULL,
    version      bigint      NOT NULL,
    position     bigint      NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    published_at timestamptz,
    publish_at   timestamptz,
    archived_at  timestamptz,
    fields       text        NOT NULL,
    embed        text        NOT NULL,
    document     text        NOT NULL,
    search       tsvector    NOT NULL
);
-- Not unique: the command side owns slug uniqueness; within one projected batch a slug may move
-- from one item to another in either row order.
CREATE INDEX content_items_slug_idx ON content_items (type, slug);
CREATE INDEX content_items_list_idx ON content_items (type, status, published_at DESC, id DESC);
CREATE INDEX content_items_search_idx ON content_items USING gin (search);

-- (item, field, target): one row per reference, plus one per ancestor of a tree target (depth > 0),
-- so "in category C or below" is one index range. status/published_at are copied from the item so a
-- relation filter with the default sort is a range scan of this index alone.
CREATE TABLE content_refs (
    item_id      uuid        NOT NULL,
    field        text        NOT NULL,
    target       uuid        NOT NULL,
    depth        integer     NOT NULL,
    ord          integer     NOT NULL,
    type         text        NOT NULL,
    status       text        NOT NULL,
    published_at timestamptz,
    PRIMARY KEY (item_id, field, target)
);
CREATE INDEX content_refs_target_idx ON content_refs (target, field, status, published_at DESC, item_id DESC);

-- Values of filterable and sortable scalar fields, typed: numbers, booleans and datetimes (epoch
-- microseconds) in num, strings and enums in txt.
CREATE TABLE content_values (
    item_id      uuid             NOT NULL,
    field        text             NOT NULL,
    type         text             NOT NULL,
    status       text             NOT NULL,
    num          double precision,
    txt          text,
    PRIMARY KEY (item_id, field)
);
CREATE INDEX content_values_num_idx ON content_values (type, field, status, num, item_id) WHERE num IS NOT NULL;
CREATE INDEX content_values_txt_idx ON content_values (type, field, status, txt, item_id) WHERE txt IS NOT NULL;

-- Threads: `thread` is the path of comment ids from the root (UUIDv7, so time-ordered), so one
-- index range in thread order lists a whole item's comments depth first, oldest thread first.
CREATE TABLE comments (
    id         uuid        NOT NULL PRIMARY KEY,
    item_id    uuid        NOT NULL,
    type       text        NOT NULL,
    parent_id  uuid,
    thread     text        NOT NULL,
    author     text        NOT NULL,
    body       text        NOT NULL,
    removed    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    edited_at  timestamptz,
    position   bigint      NOT NULL
);
CREATE INDEX comments_thread_idx ON comments (item_id, thread) WHERE NOT removed;

CREATE TABLE item_counters (
    item_id   uuid   NOT NULL PRIMARY KEY,
    views     bigint NOT NULL DEFAULT 0,
    likes     bigint NOT NULL DEFAULT 0,
    shares    bigint NOT NULL DEFAULT 0,
    bookmarks bigint NOT NULL DEFAULT 0,
    comments  bigint NOT NULL DEFAULT 0
);

-- Per user x item: the 20M-row table. Hash-partitioned by user so each partition (and its
-- indexes) stays a sixteenth of the whole; a user's rows live in one partition. liked/bookmarked
-- are NULL until first set (NULL reads as false).
CREATE TABLE user_items (
    user_id         text        NOT NULL,
    item_id         uuid        NOT NULL,
    first_viewed_at timestamptz,
    last_viewed_at  timestamptz,
    views           integer     NOT NULL DEFAULT 0,
    liked           boolean,
    bookmarked      boolean,
    PRIMARY KEY (user_id, item_id)
) PARTITION BY HASH (user_id);
CREATE TABLE user_items_p00 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 0);
CREATE TABLE user_items_p01 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 1);
CREATE TABLE user_items_p02 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 2);
CREATE TABLE user_items_p03 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 3);
CREATE TABLE user_items_p04 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 4);
CREATE TABLE user_items_p05 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 5);
CREATE TABLE user_items_p06 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 6);
CREATE TABLE user_items_p07 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 7);
CREATE TABLE user_items_p08 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 8);
CREATE TABLE user_items_p09 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 9);
CREATE TABLE user_items_p10 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 10);
CREATE TABLE user_items_p11 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 11);
CREATE TABLE user_items_p12 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 12);
CREATE TABLE user_items_p13 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 13);
CREATE TABLE user_items_p14 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 14);
CREATE TABLE user_items_p15 PARTITION OF user_items FOR VALUES WITH (MODULUS 16, REMAINDER 15);
-- A user's view history, newest first.
CREATE INDEX user_items_history_idx ON user_items (user_id, last_viewed_at DESC, item_id) WHERE last_viewed_at IS NOT NULL;
