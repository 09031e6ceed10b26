-- item_counters rows are updated by every engagement batch that touches their item: free space
-- on each page lets PostgreSQL keep the new row version on the same page (a HOT update, no new
-- index entry), instead of bloating the primary key with one entry per update.
ALTER TABLE item_counters SET (fillfactor = 50);
