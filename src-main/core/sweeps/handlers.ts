/**
 * The sweeps API and the run controls, as adapters over the service's scheduler (ctx.scheduler,
 * built, started and stopped by createService) and the queue (queueing.ts).
 */
import type { Handlers } from '../contract/define.ts';
import { startAnswerRunIds, type Methods } from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';
import { previewSweep, queueSingleRun, queueSweep, requireWritableData } from './queueing.ts';
import { hasEnded, waitForRunEnd } from './runWait.ts';
import { requireSweep, sweepImportance } from './insight.ts';
import { cancelClusterJobs } from '../clusters/launch.ts';
import { requireReady } from '../datasets/status.ts';
import type { DatasetName } from '../datasets/registry.ts';

type RunControlName = 'runs.start' | 'runs.cancel' | 'runs.pause' | 'runs.resume' | 'runs.wait';

/**
 * Work is claimed only by a running scheduler. The desktop app's and the server's start with the
 * service; the CLI's starts when a command queues or resumes work (reading progress from the CLI
 * must not make that process train anything).
 */
function running(ctx: ServiceContext) {
  ctx.scheduler.start();
  return ctx.scheduler;
}

export function runControlHandlers(ctx: ServiceContext): Handlers<Pick<Methods, RunControlName>> {
  const { scheduler, store, layout } = ctx;
  return {
    'runs.start': (input) => {
      requireWritableData(store, layout);
      const run = queueSingleRun(store, input, (names) => requireReady(layout.datasets, names));
      // The CLI's scheduler (scope 'own') trains the runs its process queues.
      scheduler.adoptRun(run.id);
      running(ctx).pump();
      return { runId: run.id };
    },
    'runs.cancel': ({ id }) => ({ status: scheduler.cancelRun(id) }),
    'runs.pause': ({ id }) => ({ paused: scheduler.interruptRun(id) }),
    'runs.resume': ({ id }) => {
      requireWritableData(store, layout);
      return { requeued: running(ctx).resumeRun(id) };
    },
    'runs.wait': async ({ id, timeoutSeconds }, { signal }) => {
      const run = await waitForRunEnd(store, ctx.events, id, { timeoutMs: timeoutSeconds * 1000, signal });
      return { id, status: run.status, ended: hasEnded(run) };
    },
  };
}

type SweepsMethodName =
  | 'sweeps.preview'
  | 'sweeps.start'
  | 'sweeps.pause'
  | 'sweeps.resume'
  | 'sweeps.cancel'
  | 'sweeps.setConcurrency'
  | 'sweeps.concurrency'
  | 'sweeps.progress'
  | 'sweeps.importance'
  | 'sweeps.reprioritize';

export function sweepsHandlers(ctx: ServiceContext): Handlers<Pick<Methods, SweepsMethodName>> {
  const { scheduler, store, layout } = ctx;
  return {
    'sweeps.preview': ({ spec }, { signal }) => previewSweep(spec, store, scheduler.concurrency().workers, { signal }),
    'sweeps.start': async ({ spec, runsOn }, { signal }) => {
      requireWritableData(store, layout);
      // While queueing, progress comes from queueing's own numbers (counting the sweep's runs is
      // O(runs)), a few a second; the counted one once it is queued.
      const started = await queueSweep(store, spec, {
        runsOn,
        // Agents train on their own machines, with their own datasets; this one needs its own.
        ...(runsOn === 'here' && { readyDatasets: (names: DatasetName[]) => requireReady(layout.datasets, names) }),
        // The client leaving stops only the planning: once the sweep exists it is queued to the end.
        signal,
        // The CLI's scheduler (scope 'own') runs the sweeps its process starts.
        onCreated: (sweepId) => runsOn === 'here' && scheduler.adopt(sweepId),
        onProgress: scheduler.queueing.progressReporter(),
        // A big sweep answers after its first chunk and is queued in the background (issue 12). A
        // CLI command waits for all of it: its process ends with its command, and `kernellab
        // sweep submit` / `call sweeps.start` hand the sweep to others once the answer comes.
        ...(ctx.shell !== 'cli' && { background: scheduler.queueing }),
      });
      scheduler.emitProgress(started.sweepId);
      // A sweep for agents is only queued: agents pull its runs through a server. One still being
      // queued is pending (nothing claimable yet); the scheduler is started so it claims them once queued.
      if (runsOn === 'here') running(ctx).pump();
      // A bounded answer: the count, and the first ids (runs.list by sweepId lists them all).
      const { runIds, ...counts } = started;
      return {
        ...counts,
        runIds: runIds.slice(0, startAnswerRunIds),
        runIdsTruncated: runIds.length > startAnswerRunIds || started.queueing,
      };
    },
    'sweeps.pause': ({ id }) => scheduler.pauseSweep(id),
    'sweeps.resume': ({ id }) => {
      requireWritableData(store, layout);
      return running(ctx).resumeSweeps(id);
    },
    'sweeps.cancel': async ({ id }) => {
      const { canceled } = await scheduler.cancelSweep(id);
      // A sweep sent to a cluster: its jobs go too (scancel, or the Kubernetes Job deleted).
      const clusterJobs = store.clusters.jobs({ sweepId: id, open: true }).length > 0 ? await cancelClusterJobs(ctx, id) : undefined;
      return clusterJobs ? { canceled, clusterJobs } : { canceled };
    },
    'sweeps.setConcurrency': ({ workers, threads, backend, scope }) => {
      scheduler.setBudget({ workers, threads }, backend, scope);
      return scheduler.concurrency();
    },
    'sweeps.concurrency': () => scheduler.concurrency(),
    'sweeps.progress': ({ id }) => scheduler.progress(id),
    'sweeps.importance': ({ id, metric }) => sweepImportance(store, requireSweep(store, id), metric),
    'sweeps.reprioritize': (input) => ({
      changed: scheduler.reprioritize('runId' in input ? { runId: input.runId } : { sweepId: input.sweepId }, input.priority),
    }),
  };
}
