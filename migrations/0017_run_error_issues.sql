-- A failed run's error can be a heading with a list of problems after it (a resume whose checkpoint
-- state.json is not one: "… is not a KernelLab checkpoint state: epoch: …; optimizer: …"). Its
-- code (error_code, migration 0014) says only the heading, so the page showed the Korean heading
-- without its problems (issue 17). Beside it, the problems: a JSON list of contract/coreText.ts
-- ProblemText ({"sentence", "path", "text"}), each the English problem and its coded form. NULL: a
-- row from before, or an error without such a list.
ALTER TABLE runs ADD COLUMN error_issues TEXT CHECK (error_issues IS NULL OR json_valid(error_issues));
