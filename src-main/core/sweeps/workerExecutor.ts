/**
 * The worker-process Executor: trains a claimed run in its own worker process on this machine
 * (training/runController.startRun) and turns what the worker sends into RunEvents and one
 * RunOutcome. It decides no status and writes nothing itself: the scheduler records the events
 * (fenced by the run's lease) and settles the outcome.
 */
import { coreText, type CoreText } from '../contract/coreText.ts';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { coded } from '../errors.ts';
import { runDirOf } from '../home.ts';
import { readCheckpointState } from '../training/checkpointIO.ts';
import type { CheckpointState } from '../training/checkpointState.ts';
import { startRun, type RunOutcome as RunEnd } from '../training/runController.ts';
import type { TrainingMessage, TrainRequest } from '../training/workerProtocol.ts';
import type { WorkerLauncher } from '../workerHost.ts';
import {
  pausedError,
  pausedText,
  type Execution,
  type Executor,
  type RunEvent,
  type RunJob,
  type RunOutcome,
  type StopMode,
} from './execution.ts';
import type { SweepRunInfo } from './folding.ts';

export interface WorkerExecutorOptions {
  launchWorker: WorkerLauncher;
  workerEntry: string;
  datasetsDir: string;
  runsDir: string;
  /** The worker ends when main sends no heartbeat for this long (ms); keep it well under the lease. */
  watchdogMs: number;
}

/** How long a worker asked to stop may take to land its cancel before it is killed. */
const stopGraceMs = 30_000;

/** How a worker's run ended, as the outcome the scheduler settles: what the worker said, read against why it was stopped. */
function outcomeOf(
  ended: RunEnd,
  seen: {
    stopMode: StopMode | null;
    divergedAt: { epoch: number; batch: number } | null;
    /** The disk or the folder failed (a checkpoint not written): the worker's sentence and its coded form. */
    resumableError: { error: string; errorText: CoreText | null } | null;
  },
): RunOutcome {
  const { stopMode, divergedAt, resumableError } = seen;
  switch (ended.status) {
    case 'completed':
    case 'early_stopped':
      return { kind: 'completed' };
    case 'diverged':
      return {
        kind: 'diverged',
        error: divergedAt
          ? `the loss became non-finite at epoch ${divergedAt.epoch}, batch ${divergedAt.batch}`
          : 'the loss became non-finite',
        errorText: divergedAt ? coreText('run_diverged_at', divergedAt) : coreText('run_diverged', {}),
      };
    case 'canceled':
      return stopMode === 'interrupt' ? { kind: 'interrupted', error: pausedError, errorText: pausedText } : { kind: 'canceled' };
    case 'failed':
      if (stopMode === 'interrupt') return { kind: 'interrupted', error: pausedError, errorText: pausedText };
      if (stopMode === 'cancel') return { kind: 'canceled' };
      if (resumableError !== null)
        return {
          kind: 'interrupted',
          error: resumableError.error,
          ...(resumableError.errorText && { errorText: resumableError.errorText }),
        };
      if (ended.error === null) return { kind: 'failed', error: 'the worker failed', errorText: coreText('run_worker_failed', {}) };
      return {
        kind: 'failed',
        error: ended.error,
        ...(ended.errorText && { errorText: ended.errorText }),
        ...(ended.errorText && ended.errorIssues && { errorIssues: ended.errorIssues }),
      };
    default: {
      const unknown: never = ended.status;
      throw new Error(`unknown run end ${String(unknown)}`);
    }
  }
}

export function createWorkerExecutor(options: WorkerExecutorOptions): Executor {
  return {
    start(job: RunJob, emit: (event: RunEvent) => void): Execution {
      const { run } = job;
      const spec = ModelSpec.safeParse(run.modelSpec);
      const hp = Hyperparameters.safeParse(run.hyperparameters);
      if (!spec.success || !hp.success)
        throw coded('invalid_input', `run ${run.id} has an invalid model spec or hyperparameters`, 'error_run_invalid_spec', {
          id: run.id,
        });
      const sweep = run.environment.sweep as SweepRunInfo | undefined;
      const subset = (run.environment.subset ?? sweep?.subset ?? {}) as TrainRequest['subset'];
      const runDir = runDirOf({ runs: options.runsDir }, run.uuid);
      const evaluateAtEpochs = job.evaluateAtEpochs.filter((e) => e < hp.data.epochs);
      // Killed before its first checkpoint: nothing to resume from, so it starts again.
      const resume = job.resume && existsSync(join(runDir, 'checkpoints', 'last')) && !passesMissingEvaluation(runDir, evaluateAtEpochs);
      if (resume) for (const event of checkpointBackfill(runDir, job.recordedEpochs)) emit(event);
      const request: TrainRequest = {
        type: 'train',
        runId: run.id,
        spec: spec.data,
        hyperparameters: hp.data,
        datasetsDir: options.datasetsDir,
        dataset: run.dataset as TrainRequest['dataset'],
        runDir,
        resume,
        subset,
        evaluateAtEpochs,
        threads: job.threads,
        watchdogMs: options.watchdogMs,
        snapshotLimitBytes: job.snapshotLimitBytes,
      };
      let stopMode: StopMode | null = null;
      let divergedAt: { epoch: number; batch: number } | null = null;
      let resumableError: { error: string; errorText: CoreText | null } | null = null;
      const handle = startRun(options.launchWorker, options.workerEntry, request, {
        onMessage: (_id, message) => {
          if (message.type === 'trainEnd') divergedAt = message.divergedAt;
          if (message.type === 'error' && message.resumable)
            resumableError = { error: message.message, errorText: message.messageCode ?? null };
          const event = toRunEvent(message);
          if (event) emit(event);
        },
      });
      const heartbeat = setInterval(() => handle.heartbeat(), Math.max(50, Math.min(1000, Math.floor(options.watchdogMs / 5))));
      heartbeat.unref();
      const outcome = handle.done.then((ended): RunOutcome => {
        clearInterval(heartbeat);
        return outcomeOf(ended, { stopMode, divergedAt, resumableError });
      });
      return {
        outcome,
        stop: (mode) => {
          if (stopMode === 'abandon') return;
          stopMode = mode;
          if (mode === 'abandon') {
            handle.kill();
            return;
          }
          handle.cancel();
          // A worker stuck outside the batch loop (loading data) is killed after a grace period.
          setTimeout(() => handle.kill(), stopGraceMs).unref();
        },
      };
    },
  };
}

/**
 * A worker message as a RunEvent (undefined for the ones that end the run: the outcome carries
 * those). Metrics, progress and evaluations already carry the names they are recorded by.
 */
export function toRunEvent(message: TrainingMessage): RunEvent | undefined {
  switch (message.type) {
    case 'trainBegin':
      return {
        type: 'started',
        backend: message.backend,
        device: message.device,
        ...(message.deviceCode && { deviceCode: message.deviceCode }),
        runtime: message.runtime,
      };
    case 'batchEnd': {
      const { type: _type, runId: _runId, ...progress } = message;
      return { type: 'progress', ...progress };
    }
    case 'epochEnd':
      return { type: 'epoch', epoch: message.epoch, values: message.logs };
    case 'checkpoint': {
      const digest = createHash('sha256');
      for (const f of message.files) digest.update(`${f.name}:${f.sha256}\n`);
      return {
        type: 'checkpoint',
        checkpoint: {
          epoch: message.epoch,
          kind: message.kind,
          path: message.dir,
          bytes: message.files.reduce((a, f) => a + f.bytes, 0),
          sha256: message.files.length === 1 ? message.files[0]!.sha256 : digest.digest('hex'),
          metric: message.monitor,
          value: message.value,
        },
      };
    }
    case 'evaluation': {
      const { loss, accuracy, confusion, perClass, mostWrong } = message;
      return { type: 'evaluation', epoch: message.epoch ?? null, evaluation: { loss, accuracy, confusion, perClass, mostWrong } };
    }
    case 'trainEnd':
    case 'error':
      return undefined;
    default: {
      const unknown: never = message;
      throw new Error(`unhandled worker message ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Whether the run folder's last checkpoint is past an epoch whose folding evaluation the store
 * still lacks. The worker runs ahead of main: it can send epoch E's evaluation, train on and save
 * epoch E+1's checkpoint while main, busy or starved, has not yet read that evaluation from the
 * pipe; main killed then never records it. A run resumed from that checkpoint would never evaluate
 * the model after epoch E again, and the point folded into it would fail ('no test evaluation
 * after epoch E'). Such a run starts again from its first epoch instead: training is
 * deterministic, so it records the same metrics and this time the evaluation. A checkpoint
 * exactly at E is fine: the resumed worker sends E's evaluation first (FoldingEvaluations).
 */
function passesMissingEvaluation(runDir: string, evaluateAtEpochs: readonly number[]): boolean {
  if (evaluateAtEpochs.length === 0) return false;
  const dir = join(runDir, 'checkpoints', 'last');
  if (!existsSync(join(dir, 'state.json'))) return false;
  let state: CheckpointState;
  try {
    state = readCheckpointState(dir);
  } catch {
    return false; // an unreadable checkpoint fails the resume itself, with the worker's message
  }
  return evaluateAtEpochs.some((e) => e < state.epochsCompleted);
}

/**
 * Main can be killed after the worker saved epoch E's checkpoint but before main wrote that
 * epoch's metrics (the messages were still in the pipe). A run resumed from that checkpoint would
 * never send them again, so they are reported from the checkpoint's own epoch history first: one
 * epoch event per epoch after `recordedEpochs` (the last epoch the store has).
 */
export function checkpointBackfill(runDir: string, recordedEpochs: number): RunEvent[] {
  const dir = join(runDir, 'checkpoints', 'last');
  if (!existsSync(join(dir, 'state.json'))) return [];
  let state: CheckpointState;
  try {
    state = readCheckpointState(dir);
  } catch {
    return []; // an unreadable checkpoint fails the resume itself, with the worker's message
  }
  return state.history.filter((h) => h.epoch > recordedEpochs).map((h) => ({ type: 'epoch' as const, epoch: h.epoch, values: h.logs }));
}
