-- What a user's history shows of each item (its embed) and whether the reader may see it (its
-- status), apart from the wide content_items row. History joins 20 items per page by id; from
-- content_items each join read a heap page of a wide table (full bench data: 1.6 GB of heap,
-- 5.1 GB with its TOAST and indexes, more than the 2 GB buffer cache). This table is 210 MB there
-- and stays cached. Written in the same statement batch as content_items (projectors/src/content).
-- perf/RESULTS.md, "History from a narrow table".
CREATE TABLE content_embeds (
    id     uuid NOT NULL PRIMARY KEY,
    status text NOT NULL,
    embed  text NOT NULL
);
INSERT INTO content_embeds (id, status, embed) SELECT id, status, embed FROM content_items;
