/**
 * The codes of what a remote agent logs while it works (core/agents/agentLog.ts) and of the
 * server's reasons for giving a sweep's agent no run, with their parameters: part of
 * `coreTextParams` (coreText.ts), which spreads them in. `runStatus` and `checkpointKind` are words
 * the catalogue has, which i18n/coreText.ts renders in the locale.
 */
import { z } from 'zod';

// The same kinds of parameter as coreText.ts's (which imports this file, so it cannot export them here).
const count = z.number().int().nonnegative();
const id = z.number().int().nonnegative();
const word = z.string().max(1000);

export const agentLogTextParams = {
  agent_serving: z.object({ sweepId: id, name: word, server: word, host: word, backends: word }).strict(),
  agent_serving_gpu_runs: z.object({ server: word, host: word, backends: word }).strict(),
  agent_no_run: z.object({ reason: word }).strict(),
  agent_took_count: z.object({ count }).strict(),
  agent_claim_sweep_deleted: z.object({}).strict(),
  agent_claim_sweep_canceled: z.object({}).strict(),
  agent_claim_sweep_completed: z.object({}).strict(),
  agent_claim_sweep_failed: z.object({}).strict(),
  agent_claim_took_one: z.object({}).strict(),
  agent_claim_took_runs: z.object({ count }).strict(),
  agent_claim_sweep_paused: z.object({}).strict(),
  agent_claim_sweep_queueing: z.object({}).strict(),
  agent_claim_none_queued: z.object({}).strict(),
  agent_claim_none_queued_open: z.object({ count }).strict(),
  agent_run_claimed: z.object({ runId: id, name: word, attempt: count }).strict(),
  agent_run_claimed_resuming: z.object({ runId: id, name: word, attempt: count }).strict(),
  agent_fetching_dataset: z.object({ dataset: word, megabytes: count }).strict(),
  agent_fetching_file: z.object({ file: word }).strict(),
  agent_server_asks_cancel: z.object({ runId: id }).strict(),
  agent_server_asks_pause: z.object({ runId: id }).strict(),
  agent_run_lost: z.object({ runId: id, why: word }).strict(),
  agent_lease_taken_back: z.object({}).strict(),
  agent_events_refused: z.object({ problem: word }).strict(),
  agent_signal_interrupting: z.object({ runId: id }).strict(),
  agent_end_refused: z.object({ runId: id, problem: word }).strict(),
  agent_end_not_reported: z.object({ runId: id, runStatus: word, dir: word }).strict(),
  agent_run_recorded: z.object({ runId: id, runStatus: word, requests: count, streamMs: count, finishMs: count }).strict(),
  agent_run_recorded_requeued: z.object({ runId: id, runStatus: word, requests: count, streamMs: count, finishMs: count }).strict(),
  agent_run_taken_back: z.object({ runId: id, requests: count, streamMs: count, finishMs: count }).strict(),
  agent_checkpoint_replaced: z.object({ epoch: count, checkpointKind: word }).strict(),
  agent_spool_unwritable: z.object({ file: word, reason: word }).strict(),
  agent_server_back: z.object({ offlineSeconds: count }).strict(),
  agent_heartbeat_refused: z.object({ problem: word }).strict(),
} as const;
