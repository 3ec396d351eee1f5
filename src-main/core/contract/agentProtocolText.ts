/**
 * The codes of the agent protocol's own refusals (core/agents/handlers.ts, files.ts,
 * RunDataCache.ts), with their parameters: part of `coreTextParams` (coreText.ts), which spreads
 * them in. They reach an agent's log inside its lines ("heartbeat refused: …") and a browser
 * lending its GPU. `checkpointKind` is a word the catalogue has (best, last, epoch).
 */
import { z } from 'zod';

// The same kinds of parameter as coreText.ts's (which imports this file, so it cannot export them here).
const count = z.number().int().nonnegative();
const id = z.number().int().nonnegative();
const word = z.string().max(1000);

export const agentProtocolTextParams = {
  // An agent's calls refused (handlers.ts).
  agent_no_hello: z.object({ agent: word }).strict(),
  agent_run_not_claimed: z.object({ runId: id, attempt: count, agent: word }).strict(),
  agent_epoch_past_run: z.object({ field: word, epoch: count, runId: id, epochs: count }).strict(),
  agent_events_not_recorded: z.object({ from: count, to: count, runId: id }).strict(),
  agent_unknown_event: z.object({ event: word }).strict(),
  agent_run_data_offset_past: z.object({ offset: count, bytes: count }).strict(),
  agent_gpu_host_no_dataset_files: z.object({}).strict(),
  agent_not_sweep_dataset_file: z.object({ file: word }).strict(),
  // Files fetched and checkpoints uploaded (files.ts).
  agent_file_unreadable: z.object({ path: word, reason: word }).strict(),
  agent_file_offset_past: z.object({ offset: count, bytes: count }).strict(),
  agent_chunk_past_file: z.object({ offset: count, bytes: count }).strict(),
  agent_chunk_out_of_order: z.object({ file: word, expected: count, got: count }).strict(),
  agent_file_sha_mismatch: z.object({ file: word, digest: word, expected: word }).strict(),
  agent_checkpoints_uploading: z.object({ count, names: word }).strict(),
  agent_checkpoint_files_max: z.object({ max: count, uploading: count }).strict(),
  agent_checkpoint_too_big: z.object({ file: word, bytes: count, before: count, max: count }).strict(),
  agent_checkpoint_not_whole: z.object({ checkpointKind: word, epoch: count, file: word }).strict(),
  // A run's images prepared for a browser GPU host (RunDataCache.ts).
  run_data_invalid_run: z.object({ id, dataset: word }).strict(),
  run_data_unknown_reply: z.object({ id, reply: word }).strict(),
  run_data_failed: z.object({ id, error: word }).strict(),
  run_data_dropped: z.object({ id, exitCode: word }).strict(),
} as const;
