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
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import type { GpuHost, GpuRunOutcome } from './gpuHost.ts';
import type { CheckpointBytes, FromGpuWorker, GpuTrainRequest } from './gpuWorkerProtocol.ts';
import { gpuFailureText } from './gpuFailure.ts';
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
  failed?: { runId: number; error: string; errorCode?: CoreText; errorIssues?: ProblemText[] };
}

export interface LenderOptions {
  call: AgentCaller;
  host: GpuHost;
  /** A UUID the page made for this lending. */
  agentId: string;
  /** How the page names itself to the server (the browser, its platform). */
  hostName: string;
  /** What it does there, as the agents table and a run's record say it: made by the page in its language ("a browser's GPU"). */
  jobName: string;
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
      job: o.jobName,
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

/** A run the page's Worker failed: the sentence naming the cause, and its code so the run view shows it in the page's language. */
function failedOutcome(ended: GpuRunOutcome & { status: 'failed' }): AgentOutcome {
  const failure = gpuFailureText(ended.error, { code: ended.errorText, issues: ended.errorIssues });
  return {
    kind: 'failed',
    error: failure.text,
    ...(failure.code && { errorText: failure.code }),
    ...(failure.code && failure.issues && { errorIssues: failure.issues }),
  };
}

/** Why a run the page stopped (its sweep paused, or the page stopped lending) is interrupted, not failed. */
const interrupted: AgentOutcome = {
  kind: 'interrupted',
  error: 'paused in the browser that trained it; it resumes from its last checkpoint',
  errorText: coreText('gpu_host_paused', {}),
};

const metric = (v: number | null | undefined): MetricValue | null => (v === null || v === undefined ? null : encodeMetricValue(v));

/** How a Worker's run ended, as the outcome the server settles (workerExecutor.outcomeOf, for a GPU Worker). */
function outcomeOf(
  ended: GpuRunOutcome,
  stopMode: 'cancel' | 'interrupt' | null,
  divergedAt: { epoch: number; batch: number } | null,
): AgentOutcome {
  switch (ended.status) {
    case 'completed':
    case 'early_stopped':
      return { kind: 'completed' };
    case 'diverged':
      // The words and codes of a worker process's diverged run (workerExecutor.outcomeOf).
      return divergedAt
        ? {
            kind: 'diverged',
            error: `the loss became non-finite at epoch ${divergedAt.epoch}, batch ${divergedAt.batch}`,
            errorText: coreText('run_diverged_at', divergedAt),
          }
        : { kind: 'diverged', error: 'the loss became non-finite', errorText: coreText('run_diverged', {}) };
    case 'canceled':
      return stopMode === 'interrupt' ? interrupted : { kind: 'canceled' };
    case 'failed':
      if (stopMode === 'interrupt') return interrupted;
      if (stopMode === 'cancel') return { kind: 'canceled' };
      return failedOutcome(ended);
    default: {
      const unknown: never = ended;
      throw new Error(`unknown run end ${JSON.stringify(unknown)}`);
    }
  }
}

type StagedFiles = (CheckpointBytes & { sha256: string })[];

/** Trains one claimed run in a fresh Worker and reports it to its end. */
async function trainJob(job: AgentJob, hello: Hello, o: LenderOptions): Promise<void> {
  const lent = new LentRun(job, hello, o);
  lent.say('fetching its images from the server', coreText('gpu_host_fetching', lent.named));
  const request = await trainRequest(job, hello, o);
  const ended = await lent.train(request);
  if (lent.lost) {
    lent.say(
      'the server took the run back (its lease lapsed); it is not reported further',
      coreText('gpu_host_run_taken_back', lent.named),
    );
    return;
  }
  await lent.finish(ended);
}

/** What the Worker trains: the run's spec and hyperparameters, its prepared splits and, to resume, its checkpoint. */
async function trainRequest(job: AgentJob, hello: Hello, o: LenderOptions): Promise<GpuTrainRequest> {
  const spec = ModelSpec.parse(job.modelSpec);
  const hyperparameters = Hyperparameters.parse(job.hyperparameters);
  const data = decodeRunData(await fetchAll(o, hello, { kind: 'runData', lease: job.lease }));
  const resumeFrom = job.resume && job.checkpoint ? await fetchCheckpoint(job, job.checkpoint, hello, o) : null;
  return {
    type: 'train',
    runId: job.runId,
    spec,
    hyperparameters,
    data,
    ...(hyperparameters.backend === 'webgpu' || hyperparameters.backend === 'webgl' ? { backend: hyperparameters.backend } : {}),
    evaluateAtEpochs: job.evaluateAtEpochs.filter((e) => e < hyperparameters.epochs),
    resumeFrom,
  };
}

/** The checkpoint files a resumed run starts from, each checked against its size and digest. */
async function fetchCheckpoint(job: AgentJob, files: readonly FileRef[], hello: Hello, o: LenderOptions): Promise<CheckpointBytes[]> {
  const resumeFrom: CheckpointBytes[] = [];
  for (const file of files) {
    const bytes = await fetchAll(o, hello, { kind: 'checkpoint', lease: job.lease, name: file.name });
    if (bytes.length !== file.bytes || (await sha256Hex(bytes)) !== file.sha256)
      throw new Error(`checkpoint file ${file.name} of run ${job.runId} arrived damaged`);
    resumeFrom.push({ name: file.name, bytes });
  }
  return resumeFrom;
}

/**
 * One lent run while its Worker trains: the Worker's messages become numbered events sent in
 * batches, best and last checkpoints go up before the event that names them, and the server's
 * answers (held, stop) decide whether the Worker is stopped.
 */
class LentRun {
  readonly named: { runId: number; name: string };
  /** Set when the server answered that the run is no longer held: nothing more is reported. */
  lost = false;
  readonly #job: AgentJob;
  readonly #hello: Hello;
  readonly #o: LenderOptions;
  // Events are numbered from 1 per attempt; those the server has (a claim answered twice) are not sent again.
  #produced = 0;
  #sentSeq: number;
  #pending: { seq: number; event: AgentEvent }[] = [];
  #stopMode: 'cancel' | 'interrupt' | null = null;
  #divergedAt: { epoch: number; batch: number } | null = null;
  #lastSaid = Date.now();
  #failure: Error | null = null;
  #epochs = 0;
  #cancel: () => void = () => undefined;
  readonly #staged = new Map<'last' | 'best', StagedFiles>();
  // Messages are handled one after another: a checkpoint's files go up before the event that names them.
  #work: Promise<void> = Promise.resolve();

  constructor(job: AgentJob, hello: Hello, o: LenderOptions) {
    this.#job = job;
    this.#hello = hello;
    this.#o = o;
    this.#sentSeq = job.recordedSeq;
    this.named = { runId: job.runId, name: job.name.slice(0, 1000) };
  }

  say(text: string, textCode: CoreText): void {
    const job = this.#job;
    this.#o.onStatus({ state: 'training', text: `run ${job.runId} (${job.name}): ${text}`, textCode, runId: job.runId });
  }

  /** Runs the Worker to its end, reporting its messages as they come; stops it when the page stops lending. */
  async train(request: GpuTrainRequest): Promise<GpuRunOutcome> {
    this.#epochs = request.hyperparameters.epochs;
    const run = this.#o.host.start(request, (message) => {
      this.#work = this.#work
        .then(() => this.#handle(message))
        .catch((error: unknown) => {
          this.#failure ??= error instanceof Error ? error : new Error(String(error));
          run.cancel();
        });
    });
    this.#cancel = () => run.cancel();
    // Keeps the lease while the Worker trains between reports; progress goes out with it.
    const beat = setInterval(() => this.#heartbeat(), 500);
    const onAbort = () => {
      this.#stopMode ??= 'interrupt';
      run.cancel();
    };
    this.#o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const ended = await run.done;
      await this.#work;
      return ended;
    } finally {
      clearInterval(beat);
      this.#o.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Sends what is left, then the outcome, and says how the run ended. */
  async finish(ended: GpuRunOutcome): Promise<void> {
    const job = this.#job;
    await this.#flush();
    const outcome: AgentOutcome =
      this.#failure !== null && this.#stopMode === null
        ? {
            kind: 'failed',
            error: `the page could not report the run: ${this.#failure.message}`,
            errorText: coreText('gpu_host_report_failed', { error: this.#failure.message.slice(0, 1000) }),
          }
        : outcomeOf(ended, this.#stopMode, this.#divergedAt);
    const finished = await this.#o.call('agent.finish', { lease: job.lease, lastSeq: Math.max(this.#sentSeq, job.recordedSeq), outcome });
    const status = finished.status ?? outcome.kind;
    const named = this.named;
    if (!finished.held) this.say('the server had taken the run back', coreText('gpu_host_run_taken_back', named));
    else if (finished.requeued)
      this.say(`ended ${status} (queued again)`, coreText('gpu_host_ended_requeued', { ...named, runStatus: status }));
    else if (outcome.kind === 'failed')
      this.#o.onStatus({
        state: 'training',
        text: `run ${job.runId} (${job.name}): ended ${status}`,
        textCode: coreText('gpu_host_ended', { ...named, runStatus: status }),
        runId: job.runId,
        failed: {
          runId: job.runId,
          error: outcome.error,
          ...(outcome.errorText && { errorCode: outcome.errorText }),
          ...(outcome.errorIssues && { errorIssues: outcome.errorIssues }),
        },
      });
    else this.say(`ended ${status}`, coreText('gpu_host_ended', { ...named, runStatus: status }));
  }

  #heartbeat(): void {
    if (this.lost || Date.now() - this.#lastSaid < this.#hello.heartbeatMs) return;
    this.#work = this.#work.then(async () => {
      if (this.#pending.length > 0) await this.#flush();
      else {
        const reply = await this.#o.call('agent.heartbeat', { lease: this.#job.lease });
        this.#answer(reply.held, reply.stop);
      }
    });
  }

  #push(event: AgentEvent): void {
    this.#produced++;
    if (this.#produced <= this.#job.recordedSeq) return;
    // Only the latest progress matters: an unsent older one is replaced.
    const last = this.#pending.at(-1);
    if (event.type === 'progress' && last?.event.type === 'progress') {
      last.event = event;
      this.#produced--;
      return;
    }
    this.#pending.push({ seq: this.#produced, event });
  }

  /** The server's answer to a report: a run no longer held is dropped, a stop asked for stops the Worker. */
  #answer(held: boolean, stop: 'cancel' | 'interrupt' | null): void {
    this.#lastSaid = Date.now();
    if (!held && !this.lost) {
      this.lost = true;
      this.#cancel();
    } else if (stop && this.#stopMode === null) {
      this.#stopMode = stop;
      this.#cancel();
    }
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0 && !this.lost) {
      const batch = this.#pending.slice(0, this.#hello.maxEventsPerReport);
      const reply = await this.#o.call('agent.report', {
        lease: this.#job.lease,
        firstSeq: batch[0]!.seq,
        events: batch.map((b) => b.event),
      });
      this.#pending = this.#pending.slice(batch.length);
      this.#sentSeq = Math.max(this.#sentSeq, batch.at(-1)!.seq);
      this.#answer(reply.held, reply.stop);
    }
  }

  async #upload(kind: 'last' | 'best', epoch: number, files: StagedFiles): Promise<void> {
    const { lease } = this.#job;
    for (const file of files) {
      const ref: FileRef = { name: file.name, bytes: file.bytes.length, sha256: file.sha256 };
      let offset = 0;
      do {
        const chunk = file.bytes.subarray(offset, offset + this.#hello.maxChunkBytes);
        const reply = await this.#o.call('agent.uploadFile', { lease, epoch, kind, parts: [{ file: ref, offset, data: toBase64(chunk) }] });
        this.#answer(reply.held, null);
        if (this.lost) return;
        offset += chunk.length;
      } while (offset < file.bytes.length);
    }
  }

  async #handle(message: FromGpuWorker): Promise<void> {
    switch (message.type) {
      case 'trainBegin': {
        const device = message.device.slice(0, 500);
        // Cut to fit, a device line no longer matches its code: the page then shows the English as sent.
        const deviceCode = device === message.device ? message.deviceCode : undefined;
        this.say(
          `training on ${message.device}`,
          coreText('gpu_host_training_on', { ...this.named, device: [{ sentence: device, path: '', text: deviceCode ?? null }] }),
        );
        this.#push({
          type: 'started',
          backend: message.backend,
          device,
          ...(deviceCode && { deviceCode }),
          runtime: { ...message.runtime, agent: { host: this.#o.hostName, job: this.#o.jobName, agent: this.#o.agentId } },
        });
        break;
      }
      case 'batchEnd': {
        const { type: _type, runId: _runId, ...progress } = message;
        this.#push({
          type: 'progress',
          ...progress,
          loss: encodeMetricValue(progress.loss),
          accuracy: encodeMetricValue(progress.accuracy),
        });
        break;
      }
      case 'epochEnd':
        await this.#epochEnd(message);
        break;
      case 'checkpointFiles':
        // Per-epoch weight snapshots stay out, as a cluster agent's do: only best and last go up.
        if (message.kind !== 'epoch') this.#staged.set(message.kind, message.files);
        break;
      case 'checkpoint':
        if (message.kind !== 'epoch') await this.#checkpoint({ ...message, kind: message.kind });
        break;
      case 'evaluation':
        this.#push({
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
        if (message.divergedAt) this.#divergedAt = { epoch: message.divergedAt.epoch, batch: message.divergedAt.batch };
        break;
      case 'error':
        break;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled GPU Worker message ${JSON.stringify(unknown)}`);
      }
    }
  }

  async #epochEnd(message: Extract<FromGpuWorker, { type: 'epochEnd' }>): Promise<void> {
    this.#push({
      type: 'epoch',
      epoch: message.epoch,
      values: Object.fromEntries(Object.entries(message.logs).map(([k, v]) => [k, metric(v)])),
    });
    this.say(
      `epoch ${message.epoch} of ${this.#epochs} done`,
      coreText('gpu_host_epoch_done', { ...this.named, epoch: message.epoch, epochs: this.#epochs }),
    );
    await this.#flush();
  }

  /** A best or last checkpoint: its staged files go up first, then the event that names them. */
  async #checkpoint(message: Extract<FromGpuWorker, { type: 'checkpoint' }> & { kind: 'last' | 'best' }): Promise<void> {
    const files = this.#staged.get(message.kind) ?? [];
    this.#staged.delete(message.kind);
    await this.#flush();
    await this.#upload(message.kind, message.epoch, files);
    this.#push({
      type: 'checkpoint',
      epoch: message.epoch,
      kind: message.kind,
      files: files.map((f) => ({ name: f.name, bytes: f.bytes.length, sha256: f.sha256 })),
      metric: message.monitor as Extract<AgentEvent, { type: 'checkpoint' }>['metric'],
      value: metric(message.value),
    });
    await this.#flush();
  }
}
