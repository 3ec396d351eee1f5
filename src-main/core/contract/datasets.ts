/**
 * Datasets: what is on disk (absent, downloading, ready, corrupt), download with progress,
 * cancel, import from files on disk, delete, verify, and sample images for the gallery.
 */
import { z } from 'zod';
import { CoreText, ProblemText } from './coreText.ts';
import { method } from './define.ts';

export const DatasetName = z.enum(['mnist', 'fashion-mnist', 'cifar10']);
export type DatasetName = z.infer<typeof DatasetName>;

export const DatasetState = z.enum(['absent', 'downloading', 'ready', 'corrupt']);
export type DatasetState = z.infer<typeof DatasetState>;

export const DatasetInfo = z.object({
  name: DatasetName,
  title: z.string(),
  homepage: z.string(),
  classNames: z.array(z.string()),
  height: z.number().int(),
  width: z.number().int(),
  channels: z.number().int(),
  /** Split sizes of the installed variant, or of the one a download fetches. */
  trainCount: z.number().int(),
  testCount: z.number().int(),
  status: DatasetState,
  /** 0..1 while downloading, else null. */
  progress: z.number().nullable(),
  /** Installed variant (`canonical`, `official`, `subset-10k`), null when not ready. */
  variant: z.string().nullable(),
  /** Where the ready files came from (`import`, `download: <source>`). */
  source: z.string().nullable(),
  bytesOnDisk: z.number().int(),
  /** Bytes a download transfers. */
  downloadBytes: z.number().int(),
  /** What is wrong when corrupt; why the last download failed when absent. */
  problem: z.string().nullable(),
  /** `problem`'s coded form, for the page's language (contract/coreText.ts); absent or null: English only. */
  problemCode: CoreText.nullable().optional(),
  /** A corrupt dataset's problems one by one, each coded, as `problem` joins them with '; ' (absent or null: `problemCode` says it). */
  problemCodes: z.array(ProblemText).max(100).nullable().optional(),
});
export type DatasetInfo = z.infer<typeof DatasetInfo>;

const ByName = z.object({ name: DatasetName }).strict();

export const DatasetProgress = z.object({
  dataset: DatasetName,
  file: z.string(),
  bytes: z.number(),
  total: z.number(),
  /** Bytes per second. */
  rate: z.number(),
  phase: z.enum(['download', 'verify', 'extract', 'done', 'failed', 'canceled']),
  /** The error, when failed. */
  message: z.string().optional(),
  /** `message`'s coded form (contract/coreText.ts). */
  messageCode: CoreText.optional(),
});
export type DatasetProgress = z.infer<typeof DatasetProgress>;

export const DatasetSample = z.object({
  index: z.number().int(),
  label: z.number().int(),
  /** A PNG of the image at its own size, as a data: URL. */
  png: z.string(),
});
export type DatasetSample = z.infer<typeof DatasetSample>;

export const datasetsMethods = {
  'datasets.list': method({
    input: z.object({}).strict().default({}),
    output: z.object({ datasets: z.array(DatasetInfo), mirror: z.string().nullable() }),
    summary: 'The datasets KernelLab knows and their state on disk: absent, downloading (with progress), ready or corrupt.',
  }),
  'datasets.download': method({
    input: z
      .object({
        name: DatasetName,
        /** Wait for the download to finish (the CLI does); otherwise return at once and follow dataset.progress. */
        wait: z.boolean().default(false),
        // No mirror field: where files come from is the machine's configuration (KERNELLAB_DATASET_MIRROR,
        // `kernellab datasets download --mirror`), never a URL a page sends.
      })
      .strict(),
    output: DatasetInfo,
    summary: 'Downloads a dataset (resuming a partial download), verifies every file against its published SHA-256 and marks it ready.',
  }),
  'datasets.cancel': method({
    input: ByName,
    output: z.object({ canceled: z.boolean() }),
    summary: 'Stops a download or an import in progress; a partial download is kept so the next download resumes it.',
  }),
  'datasets.import': method({
    input: z
      .object({
        /** The dataset; recognised from the files when absent. */
        name: DatasetName.optional(),
        /** Files or folders on disk: the original .gz/.bin/.tar.gz files or their decompressed forms. */
        paths: z
          .array(
            z
              .string()
              .min(1)
              .max(4096)
              .refine((p) => !p.includes('\0'), 'a path cannot contain a NUL character'),
          )
          .min(1)
          .max(100),
      })
      .strict(),
    output: DatasetInfo.extend({
      /** What the import did beyond the obvious: links it followed, files it left out and why. */
      notes: z.array(z.string()),
      /** Each of `notes` coded (contract/coreText.ts), same order; absent from older services. */
      noteCodes: z.array(CoreText).optional(),
    }),
    summary:
      'Imports a dataset from files on disk (offline), verified the same way as a download. Regular files only (links are followed and reported); datasets.cancel stops it.',
  }),
  'datasets.delete': method({
    input: ByName,
    output: z.object({ deleted: z.boolean() }),
    summary: "Deletes a dataset's files, partial downloads and cache.",
  }),
  'datasets.verify': method({
    input: ByName,
    output: z.object({
      name: DatasetName,
      ok: z.boolean(),
      problems: z.array(z.string()),
      /** `problems` coded, one per problem in the same order (null: English only). */
      problemCodes: z.array(CoreText.nullable()).optional(),
    }),
    summary: "Re-hashes a ready dataset's files; a mismatch marks it corrupt.",
  }),
  'datasets.samples': method({
    input: z
      .object({
        name: DatasetName,
        split: z.enum(['train', 'test']).default('train'),
        perClass: z.number().int().min(1).max(16).default(4),
        /** These images of the split, in this order, instead of the first `perClass` of each class (e.g. a run's worst mistakes). */
        indices: z.array(z.number().int().nonnegative()).min(1).max(64).optional(),
      })
      .strict(),
    output: z.object({
      name: DatasetName,
      classNames: z.array(z.string()),
      height: z.number().int(),
      width: z.number().int(),
      channels: z.number().int(),
      samples: z.array(DatasetSample),
    }),
    summary: 'A few images of each class as small PNG data URLs, for the gallery.',
  }),
};

export const datasetsEvents = {
  'dataset.progress': DatasetProgress,
};
