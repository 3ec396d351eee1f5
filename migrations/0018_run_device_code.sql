-- A run's device (runs.device) is the English line its worker recorded ("…, SIMD on, 2 threads",
-- "CPU libtensorflow …: …, 4 threads — GPU … present but unused: …", "… (the tensorflow engine did
-- not load (…); fell back to wasm)"), which the CLI, logs and exports keep. Beside it, its coded
-- form (contract/coreText.ts, as error_code in migration 0014) so the page and `kernellab runs show`
-- say it in the user's language (issue 17). NULL: a row from before, or a device without a code;
-- the English line is shown.
ALTER TABLE runs ADD COLUMN device_code TEXT CHECK (device_code IS NULL OR json_valid(device_code));
