/**
 * The server's side of remote agents. An agent is one more executor: on its own machine it runs
 * the worker-process Executor (workerExecutor.ts) and reports the RunEvents it produces; here
 * those events go through the same RunRecorder, fenced by the same lease (owner `agent:<id>`,
 * attempt), and its outcome through the same settle(). Nothing here decides a run's end or writes
 * outside the lease: this module only translates the wire (base64 files, string-encoded NaN,
 * numbered events) and checks that the caller's token covers what it touches.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentMethodName } from '../contract/api.ts';
import type { CallContext, Handlers } from '../contract/define.ts';
import {
  decodeMetricValue,
  maxChunkBytes,
  maxEventsPerReport,
  type AgentEvent,
  type AgentInfo,
  type AgentJob,
  type AgentLease,
  type FileRef,
  type Methods,
} from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';
import { agentOwner, type AgentRecord, type AgentRegistry } from '../db/agentRegistry.ts';
import type { Lease, RunRecord, RunStore } from '../db/RunStore.ts';
import { readManifest } from '../datasets/manifest.ts';
import { isDatasetName } from '../datasets/registry.ts';
import { isGpuHostBackend } from '../contract/app.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { gpuHostReports, hardwareBackendOf, recordGpuHostReport, tensorflowOnGpu } from '../gpuhost/autoBackend.ts';
import { coded, KernelLabError, runNotFound } from '../errors.ts';
import { runDirOf } from '../home.ts';
import { RunRecorder, settle, type RunEvent, type RunOutcome } from '../sweeps/execution.ts';
import { RunDataCache } from './RunDataCache.ts';
import { checkpointDir, clearStaging, commitCheckpoint, fileRefOf, filesOf, readChunk, writeChunk } from './files.ts';

type AgentsMethodName = 'agents.createToken' | 'agents.browserGpuToken' | 'agents.tokens' | 'agents.revokeToken' | 'agents.list';

/** The token the service checked for this call (service.ts refuses agent methods without one). */
function principalOf(call: CallContext): { tokenId: number; sweepId: number | null } {
  if (!call.agent)
    throw new KernelLabError('unauthorized', 'agent methods need an agent token (Authorization: Bearer kla_…)', undefined, {
      text: coreText('agent_no_token', {}),
    });
  return call.agent;
}

const statusOfOutcome = {
  completed: 'completed',
  canceled: 'canceled',
  failed: 'failed',
  diverged: 'diverged',
  interrupted: 'interrupted',
  pruned: 'pruned',
} as const;

export function agentHandlers(ctx: ServiceContext): Handlers<Pick<Methods, AgentMethodName>> {
  const server = new AgentServer(ctx);
  return { ...sessionHandlers(ctx, server), ...runHandlers(ctx, server) };
}

type SessionMethodName = 'agent.hello' | 'agent.claim' | 'agent.fetchFile' | 'agent.bye';
type Session<M extends SessionMethodName> = Handlers<Pick<Methods, M>>[M];

/** An agent's session: it says hello, claims runs, fetches dataset and checkpoint files, and says bye. */
function sessionHandlers(ctx: ServiceContext, server: AgentServer): Handlers<Pick<Methods, SessionMethodName>> {
  return {
    'agent.hello': helloHandler(ctx, server),
    'agent.claim': claimHandler(ctx, server),
    'agent.fetchFile': fetchFileHandler(ctx, server),
    'agent.bye': ({ agentId, reason }, call) => {
      server.agentOf(agentId, call);
      ctx.store.agents.bye(agentId, reason);
      ctx.gpuHostsWaiting.busy(agentId);
      // A page's GPU-host token serves that one lending: it opens nothing once the page stopped.
      const principal = principalOf(call);
      if (principal.sweepId === null) ctx.store.agents.revokeToken(principal.tokenId);
      server.emitAgent(agentId);
      return { ok: true };
    },
  };
}

/** An agent introduces itself: a cluster agent to its sweep, a browser GPU host (no sweep) with the adapters it offers. */
function helloHandler(ctx: ServiceContext, server: AgentServer): Session<'agent.hello'> {
  const { store } = ctx;
  const settings = {
    leaseMs: store.leaseMs,
    // Several heartbeats fit in a lease, so one lost request does not lose the run.
    heartbeatMs: Math.max(1000, Math.min(30_000, Math.floor(store.leaseMs / 6))),
    maxChunkBytes,
    maxEventsPerReport,
  };
  return ({ agent }, call) => {
    const principal = principalOf(call);
    const identity = {
      id: agent.id,
      host: agent.host,
      job: agent.job,
      version: agent.version,
      backends: agent.backends,
      maxRuns: agent.maxRuns,
    };
    if (principal.sweepId === null) {
      // A browser lending its GPU: no sweep of its own, every run pinned to what it can train.
      store.agents.hello(identity, { id: principal.tokenId, sweepId: null });
      recordGpuHostReport(store, { agentId: agent.id, host: agent.host, adapters: agent.adapters, reportedAt: Date.now() });
      server.emitAgent(agent.id);
      return { sweepId: null, sweepName: 'runs pinned to webgpu or webgl', ...settings, datasets: {} };
    }
    const sweep = store.getSweep(principal.sweepId);
    if (!sweep)
      throw new KernelLabError('not_found', `Sweep ${principal.sweepId} does not exist any more`, undefined, {
        text: coreText('agent_sweep_gone', { id: principal.sweepId }),
      });
    store.agents.hello(identity, { id: principal.tokenId, sweepId: principal.sweepId });
    server.emitAgent(agent.id);
    return { sweepId: sweep.id, sweepName: sweep.name, ...settings, datasets: server.datasetFiles(sweep.id) };
  };
}

/** No run for a sweep's agent: why, coded for its log and a page, and whether none will ever come (done). */
const noRun = (reason: string, reasonCode: CoreText, done: boolean) => ({ job: null, reason, reasonCode, done });

/** The next run for an agent, or why there is none (and whether there never will be: done). */
function claimHandler(ctx: ServiceContext, server: AgentServer): Session<'agent.claim'> {
  const { store } = ctx;
  const registry = store.agents;
  /** A claimed run as the agent gets it; a fresh claim starts the run here (staging cleared, scheduler told). */
  const answerClaim = (claim: NonNullable<ReturnType<typeof registry.claim>>, agentId: string) => {
    if (claim.fresh) {
      clearStaging(server.runDir(claim.run), claim.lease.attempt);
      ctx.scheduler.startedElsewhere(claim.run);
      server.emitAgent(agentId);
    }
    return {
      job: server.jobOf(claim.run, claim.lease, agentId, claim.recordedSeq),
      reason: claim.fresh ? 'claimed' : 'already held',
      done: false,
    };
  };
  return async ({ agentId }, call) => {
    const agent = server.agentOf(agentId, call);
    if (agent.sweepId === null) {
      const unpinned = await server.takesUnpinned(agent.id);
      const claim = registry.claim(agent, { unpinned });
      if (claim || !unpinned) ctx.gpuHostsWaiting.busy(agent.id);
      else ctx.gpuHostsWaiting.asked(agent.id, Date.now());
      if (!claim)
        return unpinned
          ? { job: null, reason: 'no run is queued for this GPU', reasonCode: coreText('agent_claim_no_run_for_gpu', {}), done: false }
          : {
              job: null,
              reason: 'no run pinned to webgpu or webgl is queued',
              reasonCode: coreText('agent_claim_no_gpu_run', {}),
              done: false,
            };
      return answerClaim(claim, agent.id);
    }
    const sweep = store.getSweep(agent.sweepId);
    if (!sweep) return noRun('the sweep was deleted', coreText('agent_claim_sweep_deleted', {}), true);
    if (sweep.status === 'canceled' || sweep.status === 'completed' || sweep.status === 'failed')
      return noRun(`the sweep is ${sweep.status}`, coreText(`agent_claim_sweep_${sweep.status}`, {}), true);
    const claim = registry.claim(agent);
    if (claim) return answerClaim(claim, agent.id);
    const took = agent.maxRuns;
    if (took !== null && agent.runsClaimed >= took) {
      const text = took === 1 ? coreText('agent_claim_took_one', {}) : coreText('agent_claim_took_runs', { count: took });
      return noRun(`this agent took its ${took} run${took === 1 ? '' : 's'} (--count)`, text, true);
    }
    if (sweep.status === 'paused') return noRun('the sweep is paused', coreText('agent_claim_sweep_paused', {}), false);
    if (sweep.status === 'pending') return noRun('the sweep is still being queued', coreText('agent_claim_sweep_queueing', {}), false);
    const counts = store.getSweep(sweep.id)!.runCounts;
    const open = (counts.running ?? 0) + (counts.interrupted ?? 0);
    return {
      job: null,
      reason: open > 0 ? `no run is queued; ${open} are running or interrupted elsewhere` : 'no run is queued',
      reasonCode: open > 0 ? coreText('agent_claim_none_queued_open', { count: open }) : coreText('agent_claim_none_queued', {}),
      done: open === 0 && (counts.queued ?? 0) === 0,
    };
  };
}

/** A chunk of a held run's prepared data (a browser GPU host), of a sweep's dataset file, or of the run's last checkpoint. */
function fetchFileHandler(ctx: ServiceContext, server: AgentServer): Session<'agent.fetchFile'> {
  const { store } = ctx;
  return async ({ target, offset, length }, call) => {
    if (target.kind === 'runData') {
      const lease = server.leaseOf(target.lease, call);
      const run = store.getRun(lease.runId);
      if (!run || run.status !== 'running' || run.attempt !== lease.attempt)
        throw new KernelLabError('conflict', `run ${lease.runId} (attempt ${lease.attempt}) is not held any more`, undefined, {
          text: coreText('agent_run_not_held', { id: lease.runId, attempt: lease.attempt }),
        });
      const bytes = await server.runData.of(run);
      if (offset > bytes.length)
        throw coded(
          'invalid_input',
          `offset: ${offset} is past the end of the run data (${bytes.length} bytes)`,
          'agent_run_data_offset_past',
          {
            offset,
            bytes: bytes.length,
          },
        );
      const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + length));
      return {
        data: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64'),
        bytes: chunk.length,
        total: bytes.length,
      };
    }
    if (target.kind === 'dataset') {
      const principal = principalOf(call);
      if (principal.sweepId === null)
        throw coded(
          'not_found',
          "a browser GPU host reads its run's prepared data (target kind runData), not dataset files",
          'agent_gpu_host_no_dataset_files',
          {},
        );
      const files = store.agents.datasetsOfSweep(principal.sweepId).includes(target.dataset)
        ? server.datasetFiles(principal.sweepId)[target.dataset]
        : undefined;
      if (!files?.some((f) => f.name === target.name))
        throw coded('not_found', `${target.dataset}/${target.name} is not a dataset file of this sweep`, 'agent_not_sweep_dataset_file', {
          file: `${target.dataset}/${target.name}`.slice(0, 1000),
        });
      return readChunk(join(ctx.layout.datasets, target.dataset, target.name), offset, length);
    }
    const lease = server.leaseOf(target.lease, call);
    const run = store.getRun(lease.runId);
    if (!run) throw runNotFound(lease.runId);
    return readChunk(join(checkpointDir(server.runDir(run), 'last', 0), target.name), offset, length);
  };
}

/** A claimed run, under its lease: checkpoint uploads, event reports, heartbeats and its end. */
function runHandlers(ctx: ServiceContext, server: AgentServer): Handlers<Pick<Methods, Exclude<AgentMethodName, SessionMethodName>>> {
  const { store } = ctx;
  const registry = store.agents;
  return {
    'agent.uploadFile': ({ lease: wire, epoch, kind, parts }, call) => {
      const lease = server.leaseOf(wire, call);
      const run = store.getRun(lease.runId);
      if (!run || !store.renewLease(lease)) return { held: false, files: [] };
      server.checkEpoch(run, 'epoch', epoch);
      const dir = server.runDir(run);
      const files = parts.map(({ file, offset, data }) => ({
        name: file.name,
        ...writeChunk(dir, { attempt: lease.attempt, kind, epoch, file, offset, data: Buffer.from(data, 'base64') }),
      }));
      return { held: true, files };
    },

    'agent.report': ({ lease: wire, firstSeq, events }, call) => {
      const lease = server.leaseOf(wire, call);
      const run = store.getRun(lease.runId);
      if (!run) return { held: false, recordedSeq: 0, stop: null };
      const recorded = registry.recordEvents(lease, firstSeq, events.length, (skip) => {
        const fresh = events.slice(skip);
        fresh.forEach((event, i) => {
          if (event.type !== 'started') server.checkEpoch(run, `events.${skip + i}.epoch`, event.epoch);
        });
        // The final evaluation's test metrics go at the last epoch recorded, maybe by an earlier report.
        const lastEpoch = fresh.some((e) => e.type === 'evaluation' && e.epoch === null)
          ? (store.summary(run.id).find((m) => m.key === 'loss')?.lastStep ?? 0)
          : 0;
        const recorder = new RunRecorder(store, ctx.events, lease, { lastEpoch });
        recorder.recordAll(fresh.map((event) => server.toRunEvent(event, run, lease)));
      });
      const lastEpoch = Math.max(0, ...events.map((e) => (e.type === 'epoch' ? e.epoch : 0)));
      if (recorded.held && lastEpoch > 0) ctx.scheduler.remoteEpochs(run, lastEpoch);
      return { ...recorded, stop: recorded.held ? server.stopFor(run.id) : null };
    },

    'agent.heartbeat': ({ lease: wire }, call) => {
      const lease = server.leaseOf(wire, call);
      const held = store.renewLease(lease);
      registry.touch(wire.agentId);
      return { held, stop: held ? server.stopFor(lease.runId) : null };
    },

    'agent.finish': ({ lease: wire, lastSeq, outcome }, call) => {
      const lease = server.leaseOf(wire, call);
      const execution = registry.execution(lease.runId, lease.attempt)!;
      if (execution.outcome === null && execution.recordedSeq < lastSeq)
        throw coded(
          'conflict',
          `events ${execution.recordedSeq + 1}…${lastSeq} of run ${lease.runId} are not recorded yet; report them before finishing`,
          'agent_events_not_recorded',
          { from: execution.recordedSeq + 1, to: lastSeq, runId: lease.runId },
        );
      // Stopped by its sweep's pruner (the agent was asked to cancel): it ends pruned, as a local run would.
      const runOutcome: RunOutcome = ctx.scheduler.remoteOutcome(lease.runId, outcome);
      const ended = registry.finish(lease, runOutcome.kind, () => settle(store, lease, runOutcome) !== undefined);
      server.runData.forget(lease.runId);
      if (!ended.held) return { held: false, status: null, requeued: false };
      let requeued = false;
      const run = store.getRun(lease.runId);
      // A first finish (not a repeat): an interrupted run of a running sweep goes back to the queue.
      if (execution.outcome === null && run) {
        const sweep = run.sweepId !== null ? store.getSweep(run.sweepId) : undefined;
        // A single run a browser GPU held goes back too (one pinned to webgpu/webgl: only another page can train it).
        const gpuSingle = run.sweepId === null && (isGpuHostBackend(run.hyperparameters.backend) || principalOf(call).sweepId === null);
        if (ended.outcome === 'interrupted' && run.status === 'interrupted' && (sweep?.status === 'running' || gpuSingle))
          requeued = store.requeue(run.id);
        ctx.scheduler.endedElsewhere(run.id);
        server.emitAgent(wire.agentId);
      }
      const kind = (ended.outcome ?? outcome.kind) as keyof typeof statusOfOutcome;
      return { held: true, status: statusOfOutcome[kind] ?? null, requeued };
    },
  };
}

/** What the agent methods share: the caller's agent and lease checked, wire events translated, jobs built. */
export class AgentServer {
  readonly #ctx: ServiceContext;
  readonly #store: RunStore;
  readonly #registry: AgentRegistry;
  /** Held runs' prepared splits for browser GPU hosts (fetchFile 'runData'). */
  readonly runData: RunDataCache;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
    this.#store = ctx.store;
    this.#registry = ctx.store.agents;
    this.runData = new RunDataCache(ctx.layout.datasets);
  }

  agentOf(agentId: string, call: CallContext): AgentRecord {
    const principal = principalOf(call);
    const agent = this.#registry.agent(agentId, principal.tokenId);
    if (!agent)
      throw coded('unauthorized', `agent ${agentId} has not said hello with this token (agent.hello first)`, 'agent_no_hello', {
        agent: agentId.slice(0, 1000),
      });
    return agent;
  }

  /** The lease an agent names, once its agent and its execution are known to belong to the caller's token. */
  leaseOf(wire: AgentLease, call: CallContext): Lease {
    this.agentOf(wire.agentId, call);
    const execution = this.#registry.execution(wire.runId, wire.attempt);
    if (!execution || execution.agentId !== wire.agentId)
      throw coded(
        'unauthorized',
        `run ${wire.runId} (attempt ${wire.attempt}) was not claimed by agent ${wire.agentId}`,
        'agent_run_not_claimed',
        {
          runId: wire.runId,
          attempt: wire.attempt,
          agent: wire.agentId.slice(0, 1000),
        },
      );
    return { runId: wire.runId, owner: agentOwner(wire.agentId), attempt: wire.attempt };
  }

  /**
   * Whether this browser GPU host also takes runs that pin no backend: `auto` chose it (its page
   * reported a hardware adapter and lends now, and tensorflow has no CUDA GPU here).
   */
  async takesUnpinned(agentId: string): Promise<boolean> {
    const mine = gpuHostReports(this.#store, (id) => this.#registry.info(id)?.state === 'active').find((r) => r.agentId === agentId);
    if (!mine?.lending || hardwareBackendOf(mine.adapters.map((a) => a.adapter)) === null) return false;
    // Probed once per service (a worker loads tfjs); a probe that fails says nothing of a CUDA GPU.
    return !tensorflowOnGpu(await this.#ctx.backends.get().catch(() => []));
  }

  runDir(run: Pick<RunRecord, 'uuid'>): string {
    return runDirOf(this.#ctx.layout, run.uuid);
  }

  /** What the server wants of a running run: stop it when it or its sweep was canceled, or the sweep paused. */
  stopFor(runId: number): 'cancel' | 'interrupt' | null {
    const run = this.#store.getRun(runId);
    const asked = this.#ctx.scheduler.remoteStop(runId);
    if (asked) return asked;
    const status = run?.sweepId != null ? this.#store.getSweep(run.sweepId)?.status : undefined;
    if (status === 'canceled') return 'cancel';
    if (status === 'paused' || status === 'pending') return 'interrupt';
    return null;
  }

  emitAgent(agentId: string): void {
    const info = this.#registry.info(agentId);
    if (info) this.#ctx.events.emit('agent.updated', info);
  }

  /**
   * Refuses an epoch past the run's own epochs: the contract bounds every number, this bounds what
   * one run can write (metric rows, checkpoint folders) to what its spec trains.
   */
  checkEpoch(run: RunRecord, field: string, epoch: number | null): void {
    const epochs = run.hyperparameters.epochs;
    if (epoch !== null && typeof epochs === 'number' && epoch > epochs)
      throw coded('invalid_input', `${field}: epoch ${epoch} is past run ${run.id}'s ${epochs} epochs`, 'agent_epoch_past_run', {
        field,
        epoch,
        runId: run.id,
        epochs,
      });
  }

  /** A wire event as the executor seam's RunEvent (a checkpoint's uploaded files swapped into place first). */
  toRunEvent(event: AgentEvent, run: RunRecord, lease: Lease): RunEvent {
    const value = (v: number | 'NaN' | 'Infinity' | '-Infinity' | null) => (v === null ? null : decodeMetricValue(v));
    switch (event.type) {
      case 'started':
        return {
          type: 'started',
          backend: event.backend,
          device: event.device,
          ...(event.deviceCode && { deviceCode: event.deviceCode }),
          ...(event.runtime !== undefined && { runtime: event.runtime }),
        };
      case 'progress':
        return { ...event, loss: decodeMetricValue(event.loss), accuracy: decodeMetricValue(event.accuracy) };
      case 'epoch':
        return {
          type: 'epoch',
          epoch: event.epoch,
          values: Object.fromEntries(Object.entries(event.values).map(([k, v]) => [k, value(v)])),
        };
      case 'checkpoint': {
        const dir = commitCheckpoint(this.runDir(run), {
          attempt: lease.attempt,
          kind: event.kind,
          epoch: event.epoch,
          files: event.files,
        });
        return {
          type: 'checkpoint',
          checkpoint: {
            epoch: event.epoch,
            kind: event.kind,
            path: dir,
            bytes: event.files.reduce((a, f) => a + f.bytes, 0),
            sha256: combinedDigest(event.files),
            metric: event.metric,
            value: value(event.value),
          },
        };
      }
      case 'evaluation':
        return {
          type: 'evaluation',
          epoch: event.epoch,
          evaluation: {
            loss: value(event.loss),
            accuracy: value(event.accuracy),
            confusion: event.confusion,
            perClass: event.perClass,
            mostWrong: event.mostWrong,
          },
        };
      default: {
        const unknown: never = event;
        const shown = JSON.stringify(unknown);
        throw coded('invalid_input', `unknown event ${shown}`, 'agent_unknown_event', { event: shown.slice(0, 1000) });
      }
    }
  }

  /** Dataset files of a sweep an agent may fetch: each dataset's manifest, then its stored files. */
  datasetFiles(sweepId: number): Record<string, FileRef[]> {
    const out: Record<string, FileRef[]> = {};
    for (const name of this.#registry.datasetsOfSweep(sweepId)) {
      if (!isDatasetName(name)) continue;
      const read = readManifest(this.#ctx.layout.datasets, name);
      if (!read)
        throw new KernelLabError(
          'unavailable',
          `dataset ${name} is not ready on the server; import or download it there first (kernellab datasets download ${name})`,
          undefined,
          { text: coreText('agent_dataset_not_ready', { name }) },
        );
      out[name] = [
        fileRefOf(join(this.#ctx.layout.datasets, name, 'manifest.json'), 'manifest.json'),
        ...read.manifest.files.map((f) => ({ name: f.stored, bytes: f.bytes, sha256: f.sha256 })),
      ];
    }
    return out;
  }

  jobOf(run: RunRecord, lease: Lease, agentId: string, recordedSeq: number): AgentJob {
    const plan = this.#ctx.scheduler.executionPlan(run);
    const last = checkpointDir(this.runDir(run), 'last', 0);
    return {
      runId: run.id,
      uuid: run.uuid,
      name: run.name,
      sweepId: run.sweepId,
      dataset: run.dataset,
      modelSpec: run.modelSpec,
      hyperparameters: run.hyperparameters,
      environment: run.environment,
      lease: { agentId, runId: run.id, attempt: lease.attempt },
      ...plan,
      checkpoint: plan.resume && existsSync(join(last, 'state.json')) ? filesOf(last) : null,
      recordedSeq,
    };
  }
}

export function agentsHandlers(ctx: ServiceContext): Handlers<Pick<Methods, AgentsMethodName>> {
  const registry = ctx.store.agents;
  return {
    'agents.createToken': ({ sweepId, label, agentsOnly }) => {
      const made = registry.createToken(sweepId, label ?? `sweep ${sweepId}`);
      if (agentsOnly) registry.setRunsOn(sweepId, 'agents');
      return made;
    },
    'agents.browserGpuToken': ({ label }) => registry.createGpuHostToken(label ?? "a browser's GPU"),
    'agents.tokens': ({ sweepId }) => registry.tokens(sweepId),
    'agents.revokeToken': ({ id }) => ({ revoked: registry.revokeToken(id) }),
    'agents.list': ({ sweepId }): AgentInfo[] => registry.list(sweepId),
  };
}

/** The digest a checkpoint row records for several files (the same as a local run's, workerExecutor.toRunEvent). */
function combinedDigest(files: readonly FileRef[]): string {
  if (files.length === 1) return files[0]!.sha256;
  // Same construction as workerExecutor: sha256 over "name:sha\n" lines in the order given.
  return sha256Lines(files.map((f) => `${f.name}:${f.sha256}\n`));
}

function sha256Lines(lines: string[]): string {
  const digest = createHash('sha256');
  for (const line of lines) digest.update(line);
  return digest.digest('hex');
}
