/**
 * The scheduler's executor over the training engine: starts a worker for a claimed run with
 * training/runController.startRun and writes what the worker reports through the RunStore —
 * epoch metrics (one logBatch per epoch), checkpoints, the test evaluation (and, for epoch
 * folding, the intermediate ones as split `test@<epoch>`), the final status.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import type { RunStore } from '../db/RunStore.ts';
import { KernelLabError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { startRun } from '../training/runController.ts';
import type { TrainingMessage, TrainRequest } from '../training/workerProtocol.ts';
import type { WorkerLauncher } from '../workerHost.ts';
import { intermediateSplit, type SweepRunInfo } from './folding.ts';
import type { RunExecution, RunExecutor, RunJob } from './scheduler.ts';

export interface ExecutorOptions {
  store: RunStore;
  events: EventBus;
  launchWorker: WorkerLauncher;
  workerEntry: string;
  datasetsDir: string;
  runsDir: string;
}

/** Where a run's files live: the data folder's runs/<uuid>. */
export function runDirOf(runsDir: string, uuid: string): string {
  return join(runsDir, uuid);
}

export function createTrainingExecutor(options: ExecutorOptions): RunExecutor {
  const { store } = options;
  return (job: RunJob): RunExecution => {
    const { run } = job;
    const spec = ModelSpec.safeParse(run.modelSpec);
    const hp = Hyperparameters.safeParse(run.hyperparameters);
    if (!spec.success || !hp.success)
      throw new KernelLabError('invalid_input', `run ${run.id} has an invalid model spec or hyperparameters`);
    const sweep = run.environment.sweep as SweepRunInfo | undefined;
    const subset = (run.environment.subset ?? sweep?.subset ?? {}) as TrainRequest['subset'];
    const runDir = runDirOf(options.runsDir, run.uuid);
    const recorded = new Set(job.resume ? store.runDetail(run.id).evaluations.map((e) => e.split) : []);
    if (job.resume) backfillFromCheckpoint(store, run.id, runDir);
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
      // Only the folding evaluations not yet recorded (a resumed run has some already).
      evaluateAtEpochs: job.evaluateAtEpochs.filter((e) => e < hp.data.epochs && !recorded.has(intermediateSplit(e))),
      threads: job.threads,
    };
    let stopMode: 'cancel' | 'interrupt' | null = null;
    let lastEpoch = 0;
    let epochs = hp.data.epochs;
    const sink = {
      onMessage: (_id: string, message: TrainingMessage) => {
        if (message.type === 'trainBegin') epochs = message.epochs;
        if (message.type === 'batchEnd') {
          options.events.emit('run.progress', {
            runId: run.id,
            epoch: message.epoch,
            epochs,
            batch: message.batch,
            batchesPerEpoch: message.batchesPerEpoch,
            loss: message.loss,
            accuracy: message.accuracy,
            samplesPerSec: message.samplesPerSec,
          });
        }
        lastEpoch = record(store, run.id, message, lastEpoch, () => stopMode);
      },
    };
    const handle = startRun(options.launchWorker, options.workerEntry, request, sink);
    const done = handle.done.then((outcome) => {
      const current = store.getRun(run.id);
      if (current?.status !== 'running') return;
      if (stopMode === 'interrupt')
        store.transition(run.id, 'interrupted', { error: 'paused; resume to continue from the last checkpoint' });
      else if (outcome.status === 'failed') store.transition(run.id, 'failed', { error: outcome.error ?? 'the worker failed' });
      else if (stopMode === 'cancel') store.transition(run.id, 'canceled');
    });
    return {
      done,
      stop: (mode) => {
        stopMode = mode;
        handle.cancel();
        // A worker stuck outside the batch loop (loading data) is killed after a grace period.
        setTimeout(() => handle.kill(), 30_000).unref();
      },
    };
  };
}

/** Writes one worker message; returns the last epoch seen. */
function record(
  store: RunStore,
  runId: number,
  message: TrainingMessage,
  lastEpoch: number,
  stopMode: () => 'cancel' | 'interrupt' | null,
): number {
  switch (message.type) {
    case 'trainBegin':
      store.setDevice(runId, message.backend, message.device, message.runtime);
      return lastEpoch;
    case 'batchEnd':
      return lastEpoch;
    case 'epochEnd': {
      const step = message.epoch;
      const points = [
        ['loss', message.loss],
        ['accuracy', message.accuracy],
        ['val_loss', message.val_loss],
        ['val_accuracy', message.val_accuracy],
        ['epoch_seconds', message.seconds],
        ['samples_per_sec', message.samplesPerSec],
        ['epoch_cpu_seconds', message.cpuSeconds],
        ['rss_bytes', message.rssBytes],
        ['num_tensors', message.numTensors],
      ] as const;
      store.logBatch(
        points.filter((p) => p[1] !== null).map(([key, value]) => ({ runId, key, step, epoch: message.epoch, value: value as number })),
      );
      return message.epoch;
    }
    case 'checkpoint': {
      const digest = createHash('sha256');
      for (const f of message.files) digest.update(`${f.name}:${f.sha256}\n`);
      store.addCheckpoint(runId, {
        epoch: message.epoch,
        kind: message.kind,
        path: message.dir,
        bytes: message.files.reduce((a, f) => a + f.bytes, 0),
        sha256: message.files.length === 1 ? message.files[0]!.sha256 : digest.digest('hex'),
        metric: message.monitor,
        value: message.value,
      });
      return lastEpoch;
    }
    case 'evaluation': {
      const intermediate = message.epoch !== undefined && message.epoch !== null;
      store.addEvaluation(runId, {
        split: intermediate ? intermediateSplit(message.epoch!) : message.split,
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
      });
      if (!intermediate) {
        store.logBatch([
          { runId, key: 'test_loss', step: lastEpoch, epoch: lastEpoch, value: message.loss },
          { runId, key: 'test_accuracy', step: lastEpoch, epoch: lastEpoch, value: message.accuracy },
        ]);
      }
      return lastEpoch;
    }
    case 'trainEnd': {
      switch (message.status) {
        case 'completed':
        case 'early_stopped':
          store.transition(runId, 'completed');
          break;
        case 'diverged':
          store.transition(runId, 'diverged', {
            error: message.divergedAt
              ? `the loss became non-finite at epoch ${message.divergedAt.epoch}, batch ${message.divergedAt.batch}`
              : 'the loss became non-finite',
          });
          break;
        case 'canceled':
          if (stopMode() === 'interrupt')
            store.transition(runId, 'interrupted', { error: 'paused; resume to continue from the last checkpoint' });
          else store.transition(runId, 'canceled');
          break;
      }
      return lastEpoch;
    }
    case 'error': {
      const current = store.getRun(runId);
      if (current?.status !== 'running') return lastEpoch;
      if (stopMode() === 'interrupt')
        store.transition(runId, 'interrupted', { error: 'paused; resume to continue from the last checkpoint' });
      else store.transition(runId, 'failed', { error: message.message });
      return lastEpoch;
    }
    default: {
      const unknown: never = message;
      throw new Error(`unhandled worker message ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Main can be killed after the worker saved epoch E's checkpoint but before main wrote that
 * epoch's metrics (the messages were still in the pipe). A run resumed from that checkpoint would
 * never send them again, so they are recorded from the checkpoint's own epoch history first.
 */
export function backfillFromCheckpoint(store: RunStore, runId: number, runDir: string): number {
  const statePath = join(runDir, 'checkpoints', 'last', 'state.json');
  if (!existsSync(statePath)) return 0;
  let history: { epoch: number; loss: number; accuracy: number; val_loss: number | null; val_accuracy: number | null }[];
  try {
    history = (JSON.parse(readFileSync(statePath, 'utf8')) as { history?: typeof history }).history ?? [];
  } catch {
    return 0; // an unreadable checkpoint fails the resume itself, with the worker's message
  }
  const series = store.metricSeries(runId, { keys: ['loss'] }).series.loss ?? [];
  const recordedUpTo = Math.max(0, ...series.map((p) => p.epoch));
  const points = history
    .filter((h) => h.epoch > recordedUpTo)
    .flatMap((h) =>
      (['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const)
        .filter((key) => typeof h[key] === 'number')
        .map((key) => ({ runId, key, step: h.epoch, epoch: h.epoch, value: h[key] as number })),
    );
  if (points.length > 0) store.logBatch(points);
  return points.length;
}
