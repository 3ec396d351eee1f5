/**
 * A dataset import refusing a path the user named, or a source file that changed while it was
 * read (core/datasets/sourceFiles.ts, transfers.ts): part of coreTextParams (coreText.ts), which
 * spreads them in. `link` is where the file's link leads ('' for none), which i18n/coreText.ts
 * renders as its label's "(a link to …)".
 */
import { z } from 'zod';

// The same kinds of parameter as coreText.ts's (which imports this file, so it cannot export them here).
const count = z.number().int().nonnegative();
const word = z.string().max(1000);

export const datasetPathTextParams = {
  dataset_path_dead_link: z.object({ label: word }).strict(),
  dataset_path_not_regular: z.object({ label: word, link: word }).strict(),
  dataset_path_character_device: z.object({ label: word, link: word }).strict(),
  dataset_path_block_device: z.object({ label: word, link: word }).strict(),
  dataset_path_fifo: z.object({ label: word, link: word }).strict(),
  dataset_path_socket: z.object({ label: word, link: word }).strict(),
  dataset_path_too_big: z.object({ label: word, link: word, size: word, name: word, maximum: word }).strict(),
  dataset_path_unreadable_folder: z.object({ label: word, link: word, reason: word }).strict(),
  dataset_walk_too_many: z.object({ entries: count }).strict(),
  dataset_refused_downloading: z.object({}).strict(),
  dataset_refused_importing: z.object({}).strict(),
  dataset_source_cannot_open: z.object({ label: word, link: word, reason: word }).strict(),
  dataset_source_changed_size: z.object({ label: word, link: word }).strict(),
  dataset_source_not_regular_now: z.object({ label: word, link: word }).strict(),
  dataset_source_shrank: z.object({ label: word, link: word }).strict(),
} as const;
