/**
 * Why a dataset's download failed at each source it tried (core/datasets/fetchAttempt.ts,
 * download.ts), part of coreTextParams (coreText.ts): a failed download lists every source's
 * problem after its location. Sizes pass as the digits the English says; Node's own words as they are.
 */
import { z } from 'zod';

const word = z.string().max(1000);

export const downloadTextParams = {
  attempt_no_such_file: z.object({}).strict(),
  attempt_not_regular: z.object({}).strict(),
  attempt_file_too_big: z.object({ size: word, expected: word }).strict(),
  attempt_http: z.object({ status: word }).strict(),
  attempt_html: z.object({}).strict(),
  attempt_wrong_offset: z.object({ range: word }).strict(),
  attempt_announces_too_much: z.object({ size: word, expected: word }).strict(),
  attempt_dropped_of: z.object({ received: word, size: word }).strict(),
  attempt_redirects: z.object({}).strict(),
  attempt_redirect_refused: z.object({ url: word }).strict(),
  attempt_idle: z.object({ seconds: word }).strict(),
  attempt_idle_after: z.object({ seconds: word, received: word }).strict(),
  attempt_network: z.object({ reason: word }).strict(),
  attempt_too_much_arrived: z.object({ limit: word, file: word }).strict(),
  attempt_dropped: z.object({ received: word, reason: word }).strict(),
  dataset_download_failed_sources: z.object({ name: word, file: word }).strict(),
} as const;
