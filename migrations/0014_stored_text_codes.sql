-- A run's error (why it failed, was interrupted or pruned) and a cluster job's state detail are
-- stored as English sentences, which the CLI, logs and exports keep. Beside each, its coded form
-- (contract/coreText.ts: {"code": …, "params": {…}}) so the page says it in the user's language
-- (issue 17). NULL: a row from before, or a sentence without a code; the page shows the sentence.
ALTER TABLE runs ADD COLUMN error_code TEXT CHECK (error_code IS NULL OR json_valid(error_code));
ALTER TABLE cluster_jobs ADD COLUMN state_detail_code TEXT CHECK (state_detail_code IS NULL OR json_valid(state_detail_code));
