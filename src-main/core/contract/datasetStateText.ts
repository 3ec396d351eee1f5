/**
 * A dataset found damaged on disk (core/datasets/manifest.ts, load.ts, status.ts), the sources a
 * download found without its files and what an import left out (download.ts, install.ts): part of
 * coreTextParams (coreText.ts). Some take lists of coded sentences, so coreText.ts passes in its
 * list schema (this file cannot import it, nor its type: coreText.ts imports this file). Names,
 * paths and hashes pass as they are.
 */
import { z } from 'zod';

// The same kinds of parameter as coreText.ts's.
const count = z.number().int().nonnegative();
const word = z.string().max(1000);

/** `problems`: coreText.ts's schema of a list of coded sentences (passed in: the type too lives there). */
export function datasetStateTextParams<Problems extends z.ZodType>(problems: Problems) {
  return {
    dataset_manifest_not_json: z.object({ name: word, file: word }).strict(),
    dataset_manifest_not_manifest: z.object({ name: word, file: word }).strict(),
    dataset_manifest_unknown_variant: z.object({ name: word, variant: word }).strict(),
    dataset_manifest_lacks: z.object({ file: word }).strict(),
    dataset_stored_sha_mismatch: z.object({ file: word, got: word, expected: word }).strict(),
    dataset_corrupt_manifest: z.object({ name: word, problem: problems }).strict(),
    dataset_variant_not_held: z.object({ variant: word, file: word, problems }).strict(),
    dataset_left_out: z.object({ skipped: problems }).strict(),
    dataset_left_out_more: z.object({ skipped: problems, more: count }).strict(),
  } as const;
}
