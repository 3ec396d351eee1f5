/**
 * The worker-process Executor: trains a claimed run in its own worker process on this machine
 * (training/runController.startRun) and turns what the worker sends into RunEvents and one
 * RunOutcome. It decides no status and writes nothing itself: the scheduler records the events
 * (fenced by the run's lease) and settles the outcome.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { KernelLabError } from '../errors.ts';
import { runDirOf } from '../home.ts';
import { startRun } from '../training/runController.ts';
import type { TrainingMessage, TrainRequest } from '../training/workerProtocol.ts';
import type { WorkerLauncher } from '../workerHost.ts';
import { pausedError, type Execution, type Executor, type RunEvent, type RunJob, type RunOutcome, type StopMode } from './execution.ts';
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

export function createWorkerExecutor(options: WorkerExecutorOptions): Executor {
  return {
    start(job: RunJob, emit: (event: RunEvent) => void): Execution {
      const { run } = job;
      const spec = ModelSpec.safeParse(run.modelSpec);
      const hp = Hyperparameters.safeParse(run.hyperparameters);
      if (!spec.success || !hp.success)
        throw new KernelLabError('invalid_input', `run ${run.id} has an invalid model spec or hyperparameters`);
      const sweep = run.environment.sweep as SweepRunInfo | undefined;
      const subset = (run.environment.subset ?? sweep?.subset ?? {}) as TrainRequest['subset'];
      const runDir = runDirOf({ runs: options.runsDir }, run.uuid);
      if (job.resume) for (const event of checkpointBackfill(runDir, job.recordedEpochs)) emit(event);
      const request: TrainRequest = {
        type: 'train',
        runId: String(run.id),
        spec: spec.data,
        hyperparameters: hp.data,
        datasetsDir: options.datasetsDir,
        dataset: run.dataset as TrainRequest['dataset'],
        runDir,
        // Killed before its first checkpoint: nothing to resume from, so it starts again.
        resume: job.resume && existsSync(join(runDir, 'checkpoints', 'last')),
        subset,
        evaluateAtEpochs: job.evaluateAtEpochs.filter((e) => e < hp.data.epochs),
        threads: job.threads,
        watchdogMs: options.watchdogMs,
      };
      let stopMode: StopMode | null = null;
      let epochs = hp.data.epochs;
      let divergedAt: { epoch: number; batch: number } | null = null;
      let resumableError: string | null = null;
      const handle = startRun(options.launchWorker, options.workerEntry, request, {
        onMessage: (_id, message) => {
          if (message.type === 'trainBegin') epochs = message.epochs;
          if (message.type === 'trainEnd') divergedAt = message.divergedAt;
          if (message.type === 'error' && message.resumable) resumableError = message.message;
          const event = toRunEvent(message, epochs);
          if (event) emit(event);
        },
      });
      const heartbeat = setInterval(() => handle.heartbeat(), Math.max(50, Math.min(1000, Math.floor(options.watchdogMs / 5))));
      heartbeat.unref();
      const outcome = handle.done.then((ended): RunOutcome => {
        clearInterval(heartbeat);
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
            };
          case 'canceled':
            return stopMode === 'interrupt' ? { kind: 'interrupted', error: pausedError } : { kind: 'canceled' };
          case 'failed':
            if (stopMode === 'interrupt') return { kind: 'interrupted', error: pausedError };
            if (stopMode === 'cancel') return { kind: 'canceled' };
            if (resumableError !== null) return { kind: 'interrupted', error: resumableError };
            return { kind: 'failed', error: ended.error ?? 'the worker failed' };
          default: {
            const unknown: never = ended.status;
            throw new Error(`unknown run end ${String(unknown)}`);
          }
        }
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

/** A worker message as a RunEvent (undefined for the ones that end the run: the outcome carries those). */
export function toRunEvent(message: TrainingMessage, epochs: number): RunEvent | undefined {
  switch (message.type) {
    case 'trainBegin':
      return { type: 'started', backend: message.backend, device: message.device, runtime: message.runtime };
    case 'batchEnd':
      return {
        type: 'progress',
        epoch: message.epoch,
        epochs,
        batch: message.batch,
        batchesPerEpoch: message.batchesPerEpoch,
        loss: message.loss,
        accuracy: message.accuracy,
        samplesPerSec: message.samplesPerSec,
      };
    case 'epochEnd':
      return {
        type: 'epoch',
        epoch: message.epoch,
        values: {
          loss: message.loss,
          accuracy: message.accuracy,
          val_loss: message.val_loss,
          val_accuracy: message.val_accuracy,
          epoch_seconds: message.seconds,
          samples_per_sec: message.samplesPerSec,
          epoch_cpu_seconds: message.cpuSeconds,
          rss_bytes: message.rssBytes,
          num_tensors: message.numTensors,
        },
      };
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
    case 'evaluation':
      return {
        type: 'evaluation',
        epoch: message.epoch ?? null,
        evaluation: {
          loss: message.loss,
          accuracy: message.accuracy,
          confusion: message.confusion,
          perClass: message.perClass.map((c) => ({
            label: c.className,
            precision: c.precision,
            recall: c.recall,
            f1: c.f1,
            support: c.support,
          })),
          mostWrong: message.confidentMistakes,
        },
      };
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
 * Main can be killed after the worker saved epoch E's checkpoint but before main wrote that
 * epoch's metrics (the messages were still in the pipe). A run resumed from that checkpoint would
 * never send them again, so they are reported from the checkpoint's own epoch history first: one
 * epoch event per epoch after `recordedEpochs` (the last epoch the store has).
 */
export function checkpointBackfill(runDir: string, recordedEpochs: number): RunEvent[] {
  const statePath = join(runDir, 'checkpoints', 'last', 'state.json');
  if (!existsSync(statePath)) return [];
  let history: { epoch: number; loss: number; accuracy: number; val_loss: number | null; val_accuracy: number | null }[];
  try {
    history = (JSON.parse(readFileSync(statePath, 'utf8')) as { history?: typeof history }).history ?? [];
  } catch {
    return []; // an unreadable checkpoint fails the resume itself, with the worker's message
  }
  return history
    .filter((h) => h.epoch > recordedEpochs)
    .map((h) => ({
      type: 'epoch' as const,
      epoch: h.epoch,
      values: Object.fromEntries(
        (['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const).map((key) => [key, typeof h[key] === 'number' ? h[key] : null]),
      ),
    }));
}
