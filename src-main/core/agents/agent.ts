/**
 * `kernellab agent`: a remote executor. It pulls runs of one sweep from a KernelLab server and
 * trains each in a local worker process — the same worker-process Executor the app uses
 * (workerExecutor.ts) — while an Outbox streams its events and checkpoints back, numbered, spooled
 * and fenced by the run's lease. It takes the next run until `--count` is reached or the queue is
 * empty.
 *
 * - A run resumed here after it was interrupted elsewhere first fetches its last checkpoint; the
 *   dataset files come from the server once per node (a cache shared by the agents there).
 * - SIGTERM (scancel, preemption, a time limit, a pod evicted) stops the worker within a batch and
 *   reports the run interrupted; the server queues it again, to resume from its last uploaded
 *   checkpoint. A lost lease stops the worker at once: the run is someone else's now.
 * - The server unreachable: the worker keeps training, events wait in the spool and are replayed
 *   when it answers; the end of a run is reported once all of them are recorded.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import {
  agentTokenPattern,
  type AgentJob,
  type AgentOutcome,
  type BackendName,
  type FileRef,
  type MethodOutput,
} from '../contract/index.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { byeReasons } from '../contract/agents.ts';
import { backendReason } from '../training/backendReason.ts';
import { coded } from '../errors.ts';
import { probeBackendsInWorker } from '../training/probe.ts';
import { forkWorker, type WorkerLauncher } from '../workerHost.ts';
import { withEngine } from '../engine/workerEnv.ts';

export { selfWorkerLauncher } from '../workerHost.ts';
// The agent command's English defaults (src-main/agent may import this file, not agentLog.ts).
export { sayEnglish, sayErrorEnglish, type Say, type SayError } from './agentLog.ts';
import type { Execution, RunJob, RunOutcome, StopMode } from '../sweeps/execution.ts';
import { createWorkerExecutor } from '../sweeps/workerExecutor.ts';
import { AgentLog, type Say, type SayError } from './agentLog.ts';
import { AgentClient, untilAnswered } from './client.ts';
import { Outbox } from './outbox.ts';

export interface AgentOptions {
  server: string;
  tokenFile: string;
  /** The sweep the token must be for (a check: the token decides the sweep). */
  sweep?: number | undefined;
  /** Runs to take before exiting; undefined: until the queue is empty. */
  count?: number | undefined;
  /** Train with this backend when a run does not pin one. */
  backend?: BackendName | undefined;
  /** Where events are spooled while the server cannot be reached (beside the job). */
  spoolDir: string;
  /** Dataset files and run folders on this node. */
  cacheDir: string;
  caFile?: string | undefined;
  threads?: number | undefined;
  /** Where this agent runs ("slurm 1234_5"); read from Slurm's or Kubernetes' environment when absent. */
  job?: string | undefined;
  /** How long to keep trying a server that does not answer before giving up (ms). */
  patienceMs?: number | undefined;
  /** How long after SIGTERM to keep trying to report the interrupted run (ms): below Slurm's KillWait. */
  termGraceMs?: number | undefined;
  version?: string | undefined;
  launchWorker?: WorkerLauncher | undefined;
  workerEntry?: string | undefined;
  log: (line: string) => void;
  /** A coded line in the agent command's language (cli/errorText.ts storedSentence); absent: the English as it is. */
  say?: Say | undefined;
  /** An error inside a line in that language (cli/errorText.ts errorText); absent: its English message. */
  sayError?: SayError | undefined;
  /** Aborted by SIGTERM/SIGINT: the current run is interrupted and reported, then the agent exits. */
  signal: AbortSignal;
}

/** One run as this agent saw it, with what the protocol cost it (ms). */
export interface AgentRunResult {
  runId: number;
  status: string | null;
  /** agent.claim's round trip. */
  claimMs: number;
  /** Report and upload requests while it trained (off the training's path, but what streaming cost). */
  streamMs: number;
  streamRequests: number;
  /** From the worker's end to the server's answer to agent.finish (the last events drained first). */
  finishMs: number;
  /** Fetching the dataset (first run on a node) and a checkpoint to resume from. */
  fetchMs: number;
}

export interface AgentResult {
  /** 0: done (count reached, queue empty, sweep over); 1: failed; 143: stopped by a signal. */
  exitCode: number;
  runs: AgentRunResult[];
  reason: string;
  /** `reason` coded, for the command's last line in its language (absent where the server sent no code). */
  reasonText?: CoreText | undefined;
}

const defaultWorkerEntry = fileURLToPath(new URL('../training/worker.ts', import.meta.url));

/** Where this process runs, from the scheduler's environment. */
export function jobFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID) return `slurm ${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  if (env.SLURM_JOB_ID) return `slurm ${env.SLURM_JOB_ID}`;
  if (env.POD_NAME) return `pod ${env.POD_NAME}`;
  return '';
}

/** Threads a run may use here: what Slurm gave the task, else every core this process may run on. */
function threadsHere(env: NodeJS.ProcessEnv = process.env): number {
  const slurm = Number(env.SLURM_CPUS_PER_TASK);
  return Number.isInteger(slurm) && slurm > 0 ? slurm : availableParallelism();
}

export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw coded('invalid_input', `--token-file: cannot read ${path} (${reason})`, 'agent_token_file_unreadable', {
      path,
      reason: reason.slice(0, 1000),
    });
  }
  if (!agentTokenPattern.test(text))
    throw coded(
      'invalid_input',
      `--token-file: ${path} does not hold an agent token (kla_…); kernellab sweep submit writes one`,
      'agent_token_file_no_token',
      { path },
    );
  return text;
}

/** The backends that load on this node (probed in a worker); refused when none does, or `--backend` does not. */
async function loadingBackends(launch: WorkerLauncher, entry: string, backend: AgentOptions['backend']): Promise<BackendName[]> {
  const probes = await probeBackendsInWorker(launch, entry);
  const backends = probes.filter((p) => p.available).map((p) => p.name);
  if (backend && !backends.includes(backend)) {
    const reason = probes.find((p) => p.name === backend)?.detail ?? 'unknown';
    throw coded('unavailable', `--backend ${backend} does not load here: ${reason}`, 'agent_backend_not_loading', {
      backend,
      reason: backendReason(reason),
    });
  }
  if (backends.length === 0) throw coded('unavailable', 'no tfjs backend loads on this node', 'agent_no_backend', {});
  return backends;
}

export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const token = readTokenFile(options.tokenFile);
  const id = randomUUID();
  const log = new AgentLog((line) => options.log(`agent ${id.slice(0, 8)}: ${line}`), options.say, options.sayError);
  // A tensorflow engine installed on the node (KERNELLAB_ENGINES_DIR, or the node cache) goes to every worker, as in the app.
  const launch = withEngine(
    options.launchWorker ?? forkWorker,
    process.env.KERNELLAB_ENGINES_DIR?.trim() || join(options.cacheDir, 'engines'),
  );
  const entry = options.workerEntry ?? defaultWorkerEntry;
  const patience = options.patienceMs ?? 10 * 60_000;
  const runs: AgentResult['runs'] = [];
  const client = new AgentClient({ server: options.server, token, caFile: options.caFile });
  const call = <T>(what: string, attempt: () => Promise<T>, whatText?: CoreText) =>
    untilAnswered(attempt, {
      deadline: Date.now() + patience,
      onWait: (error, waitMs) => log.retrying(what, whatText, error, waitMs),
      signal: options.signal,
    });
  const signalled = { exitCode: 143, reason: 'stopped by a signal', reasonText: coreText('agent_bye_signal', {}) };
  try {
    const backends = await loadingBackends(launch, entry, options.backend);
    const job = options.job ?? jobFromEnvironment();
    const hello = await call('hello', () =>
      client.call('agent.hello', {
        agent: {
          id,
          host: hostname(),
          job,
          version: options.version ?? '',
          backends: options.backend ? [options.backend] : backends,
          maxRuns: options.count ?? null,
        },
      }),
    );
    if (options.sweep !== undefined && hello.sweepId !== options.sweep)
      throw coded('invalid_input', `--sweep ${options.sweep}: the token is for sweep ${hello.sweepId}`, 'agent_token_other_sweep', {
        sweep: options.sweep,
        tokenSweep: String(hello.sweepId),
      });
    log.serving(hello, client.server, `${hostname()}${job ? ` (${job})` : ''}`, backends.join(', '));
    const datasetsDir = join(options.cacheDir, 'datasets');
    const runsDir = join(options.cacheDir, 'runs', id);
    mkdirSync(options.spoolDir, { recursive: true });
    for (;;) {
      if (options.signal.aborted) return { ...signalled, runs };
      if (options.count !== undefined && runs.length >= options.count)
        return {
          exitCode: 0,
          runs,
          reason: `took ${runs.length} runs (--count)`,
          reasonText: coreText('agent_took_count', { count: runs.length }),
        };
      const claimStarted = performance.now();
      const claimed = await call('claim', () => client.call('agent.claim', { agentId: id }));
      const claimMs = performance.now() - claimStarted;
      if (!claimed.job) {
        log.noRun(claimed.reason, claimed.reasonCode);
        return { exitCode: 0, runs, reason: claimed.reason, reasonText: claimed.reasonCode };
      }
      const trained = await trainOne(claimed.job, {
        client,
        hello,
        datasetsDir,
        runsDir,
        id,
        options,
        launch,
        entry,
        log,
        call,
      });
      runs.push({ runId: claimed.job.runId, claimMs, ...trained });
      if (options.signal.aborted) return { ...signalled, runs };
    }
  } finally {
    // Best effort: an agent that cannot say goodbye is shown silent, then gone, by its lease.
    const reason = options.signal.aborted ? byeReasons.signal : byeReasons.done;
    await client.call('agent.bye', { agentId: id, reason }).catch(() => undefined);
    client.close();
  }
}

interface TrainContext {
  client: AgentClient;
  hello: MethodOutput<'agent.hello'>;
  datasetsDir: string;
  runsDir: string;
  id: string;
  options: AgentOptions;
  launch: WorkerLauncher;
  entry: string;
  log: AgentLog;
  call: <T>(what: string, attempt: () => Promise<T>, whatText?: CoreText) => Promise<T>;
}

/** Trains one claimed run to its end and reports it; returns the status the server recorded (null: not told). */
async function trainOne(job: AgentJob, t: TrainContext): Promise<Omit<AgentRunResult, 'runId' | 'claimMs'>> {
  t.log.claimed(job);
  const fetchStarted = performance.now();
  const runDir = await prepareRunDir(job, t);
  const fetchMs = performance.now() - fetchStarted;
  // The outbox's stop requests reach the execution started just below.
  const outbox = openOutbox(job, t, runDir, (mode) => execution.stop(mode));
  const execution = startExecution(job, t, outbox);
  const { outcome, terminated } = await outcomeOf(execution, job, t);
  return reportEnd({ job, t, outbox, outcome, terminated, runDir, fetchMs });
}

/** A fresh run directory holding the dataset fetched once per node and, for a resumed run, its last checkpoint. */
async function prepareRunDir(job: AgentJob, t: TrainContext): Promise<string> {
  await ensureDataset(t, job.dataset);
  const runDir = join(t.runsDir, job.uuid);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  if (job.checkpoint) await fetchCheckpoint(t, job, join(runDir, 'checkpoints', 'last'));
  return runDir;
}

/** The outbox streaming a run's events to the server; the server's stop or a lost lease stops the worker. */
function openOutbox(job: AgentJob, t: TrainContext, runDir: string, stop: (mode: StopMode) => void): Outbox {
  const { options, log } = t;
  return new Outbox({
    client: t.client,
    lease: job.lease,
    recordedSeq: job.recordedSeq,
    spoolFile: join(options.spoolDir, `run-${job.runId}-attempt-${job.lease.attempt}.jsonl`),
    uploadDir: join(runDir, '.upload'),
    maxEventsPerReport: t.hello.maxEventsPerReport,
    maxChunkBytes: t.hello.maxChunkBytes,
    heartbeatMs: t.hello.heartbeatMs,
    log,
    onStop: (mode) => {
      log.serverAsks(mode, job.runId);
      stop(mode);
    },
    onLost: (why, whyText) => {
      log.lost(job.runId, why, whyText);
      stop('abandon');
    },
  });
}

/** Starts the run in a local worker process; its events go to the outbox, 'started' with where it trained. */
function startExecution(job: AgentJob, t: TrainContext, outbox: Outbox): Execution {
  const { options } = t;
  const hyperparameters =
    options.backend && job.hyperparameters.backend === undefined
      ? { ...job.hyperparameters, backend: options.backend }
      : job.hyperparameters;
  const runJob: RunJob = {
    run: { id: job.runId, uuid: job.uuid, modelSpec: job.modelSpec, hyperparameters, environment: job.environment, dataset: job.dataset },
    lease: { runId: job.runId, owner: `agent:${t.id}`, attempt: job.lease.attempt },
    resume: job.resume,
    recordedEpochs: job.recordedEpochs,
    evaluateAtEpochs: job.evaluateAtEpochs,
    threads: options.threads ?? threadsHere(),
    // An agent uploads every checkpoint it records to the server, which stages a few per run:
    // runs on a cluster keep their best and last weights only, no per-epoch snapshots.
    snapshotLimitBytes: 0,
  };
  const executor = createWorkerExecutor({
    launchWorker: t.launch,
    workerEntry: t.entry,
    datasetsDir: t.datasetsDir,
    runsDir: t.runsDir,
    // This process feeds the worker's watchdog; it stops only with this process.
    watchdogMs: 60_000,
  });
  // Where it trained goes with the run's runtime (threads, engine versions), so the run shows it.
  const where = { host: hostname(), job: options.job ?? jobFromEnvironment(), agent: t.id };
  return executor.start(runJob, (event) =>
    outbox.push(event.type === 'started' ? { ...event, runtime: { ...event.runtime, agent: where } } : event),
  );
}

/** Waits for the run's outcome; this process's signal interrupts it so it goes back to the queue. */
async function outcomeOf(execution: Execution, job: AgentJob, t: TrainContext): Promise<{ outcome: RunOutcome; terminated: boolean }> {
  const { options, log } = t;
  let terminated = false;
  const onSignal = () => {
    terminated = true;
    log.signalled(job.runId);
    execution.stop('interrupt');
  };
  if (options.signal.aborted) onSignal();
  else options.signal.addEventListener('abort', onSignal, { once: true });
  let outcome: RunOutcome;
  try {
    outcome = await execution.outcome;
  } finally {
    options.signal.removeEventListener('abort', onSignal);
  }
  // scancel and preemption signal every process of the task: the worker may die of it first.
  if (terminated && outcome.kind !== 'completed' && outcome.kind !== 'interrupted' && outcome.kind !== 'diverged')
    outcome = {
      kind: 'interrupted',
      error: 'its agent was stopped (scancel, preemption or a time limit); it resumes from its last checkpoint',
      errorText: coreText('run_agent_stopped', {}),
    };
  return { outcome, terminated };
}

/** Reports the run's end once its events are recorded, cleans up, and says what the server recorded. */
async function reportEnd(end: {
  job: AgentJob;
  t: TrainContext;
  outbox: Outbox;
  outcome: RunOutcome;
  terminated: boolean;
  runDir: string;
  fetchMs: number;
}): Promise<Omit<AgentRunResult, 'runId' | 'claimMs'>> {
  const { job, outbox, outcome, runDir, fetchMs } = end;
  const { options, log } = end.t;
  const ended = performance.now();
  const costs = () => ({
    streamMs: outbox.streaming.ms,
    streamRequests: outbox.streaming.requests,
    finishMs: performance.now() - ended,
    fetchMs,
  });
  if (outbox.lost) {
    outbox.close(true);
    rmSync(runDir, { recursive: true, force: true });
    return { status: null, ...costs() };
  }
  const deadline = Date.now() + (end.terminated ? (options.termGraceMs ?? 20_000) : (options.patienceMs ?? 10 * 60_000));
  let answer: Awaited<ReturnType<Outbox['finish']>>;
  try {
    answer = await outbox.finish(outcome satisfies AgentOutcome, deadline);
  } catch (error) {
    log.endRefused(job.runId, error);
    answer = undefined;
  }
  const result = costs();
  outbox.close(answer !== undefined);
  rmSync(runDir, { recursive: true, force: true });
  if (!answer) {
    log.endNotReported(job.runId, outcome.kind, options.spoolDir);
    return { status: null, ...result };
  }
  log.ended(job.runId, answer, result);
  return { status: answer.status, ...result };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fetchInto(
  t: TrainContext,
  target: Parameters<typeof t.client.call<'agent.fetchFile'>>[1]['target'],
  file: FileRef,
  path: string,
): Promise<void> {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < file.bytes) {
    const length = Math.min(t.hello.maxChunkBytes, file.bytes - offset);
    const chunk = await t.call(
      `fetching ${file.name}`,
      () => t.client.call('agent.fetchFile', { target, offset, length }),
      coreText('agent_fetching_file', { file: file.name }),
    );
    if (chunk.bytes === 0) break;
    parts.push(Buffer.from(chunk.data, 'base64'));
    offset += chunk.bytes;
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length !== file.bytes || sha256(bytes) !== file.sha256)
    throw coded(
      'unavailable',
      `${file.name} arrived damaged (${bytes.length} of ${file.bytes} bytes, or a wrong SHA-256)`,
      'agent_file_damaged',
      { file: file.name, got: bytes.length, bytes: file.bytes },
    );
  writeFileSync(path, bytes);
}

/**
 * The dataset in this node's cache, fetched from the server when it is missing or differs (its
 * manifest changed). Downloaded into a private folder and renamed into place whole, so agents
 * sharing the cache never see half a dataset.
 */
async function ensureDataset(t: TrainContext, dataset: string): Promise<void> {
  const files = t.hello.datasets[dataset];
  if (!files) throw coded('not_found', `the server offers no dataset ${dataset} for this sweep`, 'agent_no_dataset_offered', { dataset });
  const dir = join(t.datasetsDir, dataset);
  const manifest = files.find((f) => f.name === 'manifest.json')!;
  const present = join(dir, 'manifest.json');
  if (existsSync(present) && sha256(readFileSync(present)) === manifest.sha256) return;
  t.log.fetchingDataset(dataset, Math.round(files.reduce((a, f) => a + f.bytes, 0) / 1e6));
  const staging = join(t.datasetsDir, `.incoming-${t.id}-${dataset}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const file of files) await fetchInto(t, { kind: 'dataset', dataset, name: file.name }, file, join(staging, file.name));
  // Another agent on this node may have put it in place meanwhile.
  if (existsSync(present) && sha256(readFileSync(present)) === manifest.sha256) {
    rmSync(staging, { recursive: true, force: true });
    return;
  }
  const old = join(t.datasetsDir, `.old-${t.id}-${dataset}`);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(staging, dir);
  rmSync(old, { recursive: true, force: true });
}

async function fetchCheckpoint(t: TrainContext, job: AgentJob, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const file of job.checkpoint ?? [])
    await fetchInto(t, { kind: 'checkpoint', lease: job.lease, name: file.name }, file, join(dir, file.name));
}
