-- The sweep pivot reads one param key for every run: with kind in the index, that read is an
-- index range scan that never visits the params table.
DROP INDEX params_by_key_value;
CREATE INDEX params_by_key_value ON params (key, value, kind);
