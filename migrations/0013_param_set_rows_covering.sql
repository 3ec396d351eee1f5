-- The pivot over a whole experiment reads one param across every run: the param set rows of that
-- key, in value order. param_set_rows_by_key (key, set_id) held no value, so each of 10,000 rows
-- took a lookup in the table, and the pivot took ~1.8x its time before param sets (issue 13).
-- This index holds key, value and kind, and set_id with them (the table's key, in every index of a
-- WITHOUT ROWID table): it covers that read, in the order the pivot lists values, and still finds
-- the sets holding a key, so it replaces the old one instead of adding a second index to write.
DROP INDEX param_set_rows_by_key;
CREATE INDEX param_set_rows_by_key_value ON param_set_rows (key, value, kind);
