/**
 * A page lends its GPU ("Train on this browser's GPU", browser mode): it is one more agent. It
 * claims runs pinned to webgpu or webgl through the same agent.* methods a cluster agent uses
 * (contract/agents.ts), trains each in a fresh GPU Worker (gpuHost.ts) on the splits the server
 * prepared for it, and reports the worker's messages as numbered events, checkpoints uploaded
 * before the event that names them, then the outcome. The server alone writes the store and the
 * run folder. No spool: a tab that closes simply stops reporting, its lease lapses, and the run is
 * queued again (the server's lease recovery) for the next page.
 *
 * No Node imports: this runs in the page.
 */
import type { GpuAdapter, GpuHostBackend } from '../contract/app.ts';
import type { AgentEvent, AgentJob, AgentOutcome, FileRef } from '../contract/agents.ts';
import type { AgentMethodName as AgentMethod, MethodInput, MethodOutput } from '../contract/api.ts';
import { encodeMetricValue, type MetricValue } from '../contract/runs.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { GpuHost, GpuRunOutcome } from './gpuHost.ts';
import type { CheckpointBytes, FromGpuWorker, GpuTrainRequest } from './gpuWorkerProtocol.ts';
import { gpuFailure } from './gpuFailure.ts';
import { decodeRunData } from './runDataCodec.ts';

/** Calls an agent.* method of the server with the page's GPU-host token. */
export type AgentCaller = <M extends AgentMethod>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>>;

export interface LenderStatus {
  state: 'starting' | 'waiting' | 'training' | 'stopped' | 'failed';
  /** In words, for the page: what it waits for, which run it trains and on what. */
  text: string;
  /** `text` coded, for the page's language (contract/coreText.ts). */
  textCode?: CoreText;
  runId: number | null;
  /** Set once when a run failed in this page: why, in a sentence (gpuFailure), for the page to keep showing. */
  failed?: { runId: number; error: string };
}

export interface LenderOptions {
  call: AgentCaller;
  host: GpuHost;
  /** A UUID the page made for this lending. */
  agentId: string;
  /** How the page names itself to the server (the browser, its platform). */
  hostName: string;
  backends: readonly GpuHostBackend[];
  /** The adapters behind those backends, as the browser names them: the server judges software ones and `auto` reads them. */
  adapters: readonly GpuAdapter[];
  onStatus: (status: LenderStatus) => void;
  signal: AbortSignal;
  /** How long to wait before asking again when no run is queued (ms). */
  pollMs?: number;
}

type Hello = MethodOutput<'agent.hello'>;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Why the page waits, coded: the server's coded reasons this page knows, else its English reason inside a coded sentence. */
function waitingText(claim: { reason: string; reasonCode?: CoreText | undefined }): CoreText {
  if (claim.reasonCode?.code === 'agent_claim_no_gpu_run') return coreText('gpu_host_waiting_no_run', {});
  if (claim.reasonCode?.code === 'agent_claim_no_run_for_gpu') return coreText('gpu_host_waiting_no_run_for_gpu', {});
  return coreText('gpu_host_waiting', { reason: claim.reason.slice(0, 1000) });
}

/** Lends the page's GPU until `signal` aborts: claims, trains and reports one run after another. */
export async function lendGpu(o: LenderOptions): Promise<void> {
  o.onStatus({
    state: 'starting',
    text: 'introducing this browser to the server',
    textCode: coreText('gpu_host_starting', {}),
    runId: null,
  });
  const hello = await o.call('agent.hello', {
    agent: {
      id: o.agentId,
      host: o.hostName,
      job: "a browser's GPU",
      version: '',
      backends: [...o.backends],
      maxRuns: null,
      adapters: [...o.adapters],
    },
  });
  try {
    while (!o.signal.aborted) {
      const claim = await o.call('agent.claim', { agentId: o.agentId });
      if (!claim.job) {
        o.onStatus({
          state: 'waiting',
          text: `${claim.reason}; asking again every few seconds`,
          textCode: waitingText(claim),
          runId: null,
        });
        await sleep(o.pollMs ?? 3000, o.signal);
        continue;
      }
      await trainJob(claim.job, hello, o);
    }
    o.onStatus({ state: 'stopped', text: 'this browser no longer lends its GPU', textCode: coreText('gpu_host_stopped', {}), runId: null });
  } finally {
    await o.call('agent.bye', { agentId: o.agentId, reason: 'the page stopped lending its GPU' }).catch(() => undefined);
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reads a whole file (or the run's prepared data) from the server in chunks. */
async function fetchAll(
  o: LenderOptions,
  hello: Hello,
  target: MethodInput<'agent.fetchFile'>['target'],
): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  let total = Infinity;
  while (offset < total) {
    const chunk = await o.call('agent.fetchFile', { target, offset, length: hello.maxChunkBytes });
    total = chunk.total;
    if (chunk.bytes === 0) break;
    parts.push(fromBase64(chunk.data));
    offset += chunk.bytes;
  }
  const out = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Why a run the page stopped (its sweep paused, or the page stopped lending) is interrupted, not failed. */
const interrupted = 'paused in the browser that trained it; it resumes from its last checkpoint';

const metric = (v: number | null | undefined): MetricValue | null => (v === null || v === undefined ? null : encodeMetricValue(v));

/** How a Worker's run ended, as the outcome the server settles (workerExecutor.outcomeOf, for a GPU Worker). */
function outcomeOf(ended: GpuRunOutcome, stopMode: 'cancel' | 'interrupt' | null, divergedAt: string | null): AgentOutcome {
  switch (ended.status) {
    case 'completed':
    case 'early_stopped':
      return { kind: 'completed' };
    case 'diverged':
      return { kind: 'diverged', error: divergedAt ?? 'the loss became non-finite' };
    case 'canceled':
      return stopMode === 'interrupt' ? { kind: 'interrupted', error: interrupted } : { kind: 'canceled' };
    case 'failed':
      if (stopMode === 'interrupt') return { kind: 'interrupted', error: interrupted };
      if (stopMode === 'cancel') return { kind: 'canceled' };
      return { kind: 'failed', error: gpuFailure(ended.error) };
    default: {
      const unknown: never = ended;
      throw new Error(`unknown run end ${JSON.stringify(unknown)}`);
    }
  }
}

/** Trains one claimed run in a fresh Worker and reports it to its end. */
async function trainJob(job: AgentJob, hello: Hello, o: LenderOptions): Promise<void> {
  const { lease } = job;
  const named = { runId: job.runId, name: job.name.slice(0, 1000) };
  const say = (text: string, textCode: CoreText) =>
    o.onStatus({ state: 'training', text: `run ${job.runId} (${job.name}): ${text}`, textCode, runId: job.runId });
  say('fetching its images from the server', coreText('gpu_host_fetching', named));
  const spec = ModelSpec.parse(job.modelSpec);
  const hyperparameters = Hyperparameters.parse(job.hyperparameters);
  const data = decodeRunData(await fetchAll(o, hello, { kind: 'runData', lease }));
  let resumeFrom: CheckpointBytes[] | null = null;
  if (job.resume && job.checkpoint) {
    resumeFrom = [];
    for (const file of job.checkpoint) {
      const bytes = await fetchAll(o, hello, { kind: 'checkpoint', lease, name: file.name });
      if (bytes.length !== file.bytes || (await sha256Hex(bytes)) !== file.sha256)
        throw new Error(`checkpoint file ${file.name} of run ${job.runId} arrived damaged`);
      resumeFrom.push({ name: file.name, bytes });
    }
  }

  // Events are numbered from 1 per attempt; those the server has (a claim answered twice) are not sent again.
  let produced = 0;
  let sentSeq = job.recordedSeq;
  let pending: { seq: number; event: AgentEvent }[] = [];
  let stopMode: 'cancel' | 'interrupt' | null = null;
  let lost = false;
  let divergedAt: string | null = null;
  let lastSaid = Date.now();
  const push = (event: AgentEvent) => {
    produced++;
    if (produced <= job.recordedSeq) return;
    // Only the latest progress matters: an unsent older one is replaced.
    const last = pending.at(-1);
    if (event.type === 'progress' && last?.event.type === 'progress') {
      last.event = event;
      produced--;
      return;
    }
    pending.push({ seq: produced, event });
  };
  const answer = (held: boolean, stop: 'cancel' | 'interrupt' | null) => {
    lastSaid = Date.now();
    if (!held && !lost) {
      lost = true;
      run.cancel();
    } else if (stop && stopMode === null) {
      stopMode = stop;
      run.cancel();
    }
  };
  const flush = async () => {
    while (pending.length > 0 && !lost) {
      const batch = pending.slice(0, hello.maxEventsPerReport);
      const reply = await o.call('agent.report', { lease, firstSeq: batch[0]!.seq, events: batch.map((b) => b.event) });
      pending = pending.slice(batch.length);
      sentSeq = Math.max(sentSeq, batch.at(-1)!.seq);
      answer(reply.held, reply.stop);
    }
  };
  const upload = async (kind: 'last' | 'best', epoch: number, files: (CheckpointBytes & { sha256: string })[]) => {
    for (const file of files) {
      const ref: FileRef = { name: file.name, bytes: file.bytes.length, sha256: file.sha256 };
      let offset = 0;
      do {
        const chunk = file.bytes.subarray(offset, offset + hello.maxChunkBytes);
        const reply = await o.call('agent.uploadFile', { lease, epoch, kind, parts: [{ file: ref, offset, data: toBase64(chunk) }] });
        answer(reply.held, null);
        if (lost) return;
        offset += chunk.length;
      } while (offset < file.bytes.length);
    }
  };

  const staged = new Map<'last' | 'best', (CheckpointBytes & { sha256: string })[]>();
  // Messages are handled one after another: a checkpoint's files go up before the event that names them.
  let work: Promise<void> = Promise.resolve();
  const handle = async (message: FromGpuWorker) => {
    switch (message.type) {
      case 'trainBegin':
        say(`training on ${message.device}`, coreText('gpu_host_training_on', { ...named, device: message.device.slice(0, 500) }));
        push({
          type: 'started',
          backend: message.backend,
          device: message.device.slice(0, 500),
          runtime: { ...message.runtime, agent: { host: o.hostName, job: "a browser's GPU", agent: o.agentId } },
        });
        break;
      case 'batchEnd': {
        const { type: _type, runId: _runId, ...progress } = message;
        push({ type: 'progress', ...progress, loss: encodeMetricValue(progress.loss), accuracy: encodeMetricValue(progress.accuracy) });
        break;
      }
      case 'epochEnd':
        push({
          type: 'epoch',
          epoch: message.epoch,
          values: Object.fromEntries(Object.entries(message.logs).map(([k, v]) => [k, metric(v)])),
        });
        say(
          `epoch ${message.epoch} of ${hyperparameters.epochs} done`,
          coreText('gpu_host_epoch_done', { ...named, epoch: message.epoch, epochs: hyperparameters.epochs }),
        );
        await flush();
        break;
      case 'checkpointFiles':
        // Per-epoch weight snapshots stay out, as a cluster agent's do: only best and last go up.
        if (message.kind !== 'epoch') staged.set(message.kind, message.files);
        break;
      case 'checkpoint': {
        if (message.kind === 'epoch') break;
        const files = staged.get(message.kind) ?? [];
        staged.delete(message.kind);
        await flush();
        await upload(message.kind, message.epoch, files);
        push({
          type: 'checkpoint',
          epoch: message.epoch,
          kind: message.kind,
          files: files.map((f) => ({ name: f.name, bytes: f.bytes.length, sha256: f.sha256 })),
          metric: message.monitor as Extract<AgentEvent, { type: 'checkpoint' }>['metric'],
          value: metric(message.value),
        });
        await flush();
        break;
      }
      case 'evaluation':
        push({
          type: 'evaluation',
          epoch: message.epoch ?? null,
          loss: metric(message.loss),
          accuracy: metric(message.accuracy),
          confusion: message.confusion,
          perClass: message.perClass,
          mostWrong: message.mostWrong,
        });
        break;
      case 'trainEnd':
        if (message.divergedAt)
          divergedAt = `the loss became non-finite at epoch ${message.divergedAt.epoch}, batch ${message.divergedAt.batch}`;
        break;
      case 'error':
        break;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled GPU Worker message ${JSON.stringify(unknown)}`);
      }
    }
  };
  let failure: Error | null = null;
  const request: GpuTrainRequest = {
    type: 'train',
    runId: job.runId,
    spec,
    hyperparameters,
    data,
    ...(hyperparameters.backend === 'webgpu' || hyperparameters.backend === 'webgl' ? { backend: hyperparameters.backend } : {}),
    evaluateAtEpochs: job.evaluateAtEpochs.filter((e) => e < hyperparameters.epochs),
    resumeFrom,
  };
  const run = o.host.start(request, (message) => {
    work = work
      .then(() => handle(message))
      .catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
        run.cancel();
      });
  });
  // Keeps the lease while the Worker trains between reports; progress goes out with it.
  const beat = setInterval(() => {
    if (lost || Date.now() - lastSaid < hello.heartbeatMs) return;
    work = work.then(async () => {
      if (pending.length > 0) await flush();
      else {
        const reply = await o.call('agent.heartbeat', { lease });
        answer(reply.held, reply.stop);
      }
    });
  }, 500);
  const onAbort = () => {
    stopMode ??= 'interrupt';
    run.cancel();
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  let ended: GpuRunOutcome;
  try {
    ended = await run.done;
    await work;
  } finally {
    clearInterval(beat);
    o.signal.removeEventListener('abort', onAbort);
  }
  if (lost) {
    say('the server took the run back (its lease lapsed); it is not reported further', coreText('gpu_host_run_taken_back', named));
    return;
  }
  await flush();
  const outcome: AgentOutcome =
    failure !== null && stopMode === null
      ? { kind: 'failed', error: `the page could not report the run: ${(failure as Error).message}` }
      : outcomeOf(ended, stopMode, divergedAt);
  const finished = await o.call('agent.finish', { lease, lastSeq: Math.max(sentSeq, job.recordedSeq), outcome });
  const status = finished.status ?? outcome.kind;
  if (!finished.held) say('the server had taken the run back', coreText('gpu_host_run_taken_back', named));
  else if (finished.requeued) say(`ended ${status} (queued again)`, coreText('gpu_host_ended_requeued', { ...named, status }));
  else if (outcome.kind === 'failed')
    o.onStatus({
      state: 'training',
      text: `run ${job.runId} (${job.name}): ended ${status}`,
      textCode: coreText('gpu_host_ended', { ...named, status }),
      runId: job.runId,
      failed: { runId: job.runId, error: outcome.error },
    });
  else say(`ended ${status}`, coreText('gpu_host_ended', { ...named, status }));
}
