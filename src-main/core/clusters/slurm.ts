/**
 * The Slurm launcher: one sbatch job array per sweep whose tasks each run `kernellab agent`
 * (array `0-(N-1)%C`: N tasks, at most C at once), split into several arrays chained with
 * `afterany` when N passes the cluster's MaxArraySize. A task pulls runs from the server; it is
 * never mapped to a run by its index, so a preempted, requeued or cancelled task is harmless: its
 * run goes back to the server's queue and another task takes it.
 *
 * State comes from `squeue --json` (Slurm ≥ 21.08). Finished tasks stay listed there for
 * MinJobAge (300 s by default); after that a job is simply gone, and whether it ended well cannot
 * be read without accounting (`sacct` needs slurmdbd, which small and test clusters lack), so a
 * vanished job reads as 'finished' with that said in its detail.
 */
import { z } from 'zod';
import type { ClusterJob, SlurmSettings } from '../contract/clusters.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';
import { shellQuote, type CommandHost } from './command.ts';

export interface SlurmJobFiles {
  sweepId: number;
  sweepName: string;
  /** Tasks in this array. */
  tasks: number;
  /** Which chunk of a split array (0-based) and how many there are. */
  chunk: number;
  chunks: number;
  settings: SlurmSettings;
  /** On the submitting host: the folder of scripts, logs and spools, and the token file. */
  jobDir: string;
  tokenFile: string;
  writtenAt: Date;
}

/** Sizes of the arrays a sweep of `tasks` tasks is split into, each below MaxArraySize. */
export function arrayChunks(tasks: number, maxArraySize: number): number[] {
  if (!Number.isInteger(tasks) || tasks < 1) throw new KernelLabError('invalid_input', `tasks: ${tasks} is not a positive whole number`);
  // Array indices run from 0 to MaxArraySize - 1.
  const size = maxArraySize;
  const out: number[] = [];
  for (let left = tasks; left > 0; left -= size) out.push(Math.min(size, left));
  return out;
}

/** The sbatch script of one array. Every value in it passed the contract's patterns and is quoted. */
export function sbatchScript(job: SlurmJobFiles): string {
  const s = job.settings;
  const concurrency = Math.min(s.concurrency, job.tasks);
  const directives = [
    `--job-name=kernellab-sweep-${job.sweepId}`,
    `--array=0-${job.tasks - 1}%${concurrency}`,
    `--output=${job.jobDir}/slurm-%A_%a.out`,
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(s.account ? [`--account=${s.account}`] : []),
    ...(s.gres ? [`--gres=${s.gres}`] : []),
    ...(s.time ? [`--time=${s.time}`, '--signal=B:TERM@120'] : []),
    ...(s.cpusPerTask ? [`--cpus-per-task=${s.cpusPerTask}`] : []),
    ...(s.mem ? [`--mem=${s.mem}`] : []),
  ];
  const agent = [
    s.agentCommand,
    `--server ${shellQuote(s.serverUrl)}`,
    `--token-file ${shellQuote(job.tokenFile)}`,
    `--sweep ${job.sweepId}`,
    `--count ${s.count}`,
    ...(s.backend ? [`--backend ${s.backend}`] : []),
    `--spool ${shellQuote(`${job.jobDir}/spool`)}`,
    '--job "slurm ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
  ].join(' \\\n  ');
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    `# Written by KernelLab for sweep ${job.sweepId} (${job.sweepName.replace(/[\n\r]/g, ' ').slice(0, 100)}) on ${job.writtenAt.toISOString()}` +
      (job.chunks > 1 ? `, array ${job.chunk + 1} of ${job.chunks}.` : '.'),
    '# Each task runs one agent: it pulls runs from the server until it took --count of them or the',
    "# queue is empty. scancel or preemption (SIGTERM) hands the task's run back to the queue.",
    'set -u',
    `exec ${agent}`,
    '',
  ].join('\n');
}

/** The sbatch command line for a written script; later chunks wait for the previous array (afterany). */
export function sbatchArgs(scriptPath: string, after: string | null): string[] {
  return ['--parsable', ...(after ? [`--dependency=afterany:${after}`] : []), scriptPath];
}

/** `12345` or `12345;cluster` from sbatch --parsable. */
export function parseSbatchJobId(stdout: string): string {
  const id = stdout.trim().split(/\s+/).pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) {
    const answer = stdout.trim().slice(0, 200);
    throw coded('unavailable', `sbatch answered '${answer}', not a job id`, 'cluster_sbatch_no_job_id', { answer });
  }
  return id;
}

const SqueueJob = z
  .object({
    job_id: z.number(),
    array_job_id: z.number().optional(),
    array_task_id: z.number().nullable().optional(),
    array_task_string: z.string().optional(),
    // A string up to 23.02, a list of flags since.
    job_state: z.union([z.string(), z.array(z.string())]),
  })
  .loose();
const SqueueOutput = z.object({ jobs: z.array(SqueueJob) }).loose();

const live = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);
const failedStates = new Set(['FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED']);

export interface SlurmJobState {
  state: ClusterJob['state'];
  detail: string;
  /** `detail`'s coded form; null for squeue's own state counts, which stay as Slurm words them. */
  detailText: CoreText | null;
  /** Tasks still pending or running (a pending array not yet split counts its remaining tasks). */
  liveTasks: number;
  ended: boolean;
}

/** Counts of tasks per state for each array job id, from `squeue --json` output. */
export function parseSqueue(text: string): Map<string, Map<string, number>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw coded('unavailable', 'squeue --json printed something that is not JSON (Slurm older than 21.08?)', 'cluster_squeue_not_json', {});
  }
  const parsed = SqueueOutput.safeParse(json);
  if (!parsed.success) throw coded('unavailable', 'squeue --json printed an unexpected shape', 'cluster_squeue_shape', {});
  const out = new Map<string, Map<string, number>>();
  for (const job of parsed.data.jobs) {
    const id = String(job.array_job_id && job.array_job_id > 0 ? job.array_job_id : job.job_id);
    const state = (Array.isArray(job.job_state) ? (job.job_state[0] ?? 'UNKNOWN') : job.job_state).toUpperCase();
    // A pending array not yet split into tasks is one record: "3-7%2" stands for five tasks.
    const count = job.array_task_string ? arrayTaskCount(job.array_task_string) : 1;
    const states = out.get(id) ?? new Map<string, number>();
    states.set(state, (states.get(state) ?? 0) + count);
    out.set(id, states);
  }
  return out;
}

function arrayTaskCount(text: string): number {
  let n = 0;
  for (const part of text.split('%')[0]!.split(',')) {
    const [a, b] = part.split('-').map((x) => Number(x.split(':')[0]));
    if (a !== undefined && Number.isFinite(a)) n += b !== undefined && Number.isFinite(b) ? b - a + 1 : 1;
  }
  return Math.max(1, n);
}

/** One job's state from squeue's counts; a job squeue no longer lists finished at least MinJobAge ago. */
export function slurmJobState(states: Map<string, number> | undefined, submittedAt: number, now: number): SlurmJobState {
  if (!states || states.size === 0) {
    if (now - submittedAt < 30_000)
      return {
        state: 'submitted',
        detail: 'not listed by squeue yet',
        detailText: coreText('cluster_job_not_listed_yet', {}),
        liveTasks: 1,
        ended: false,
      };
    return {
      state: 'finished',
      detail: 'no longer listed by squeue (its tasks ended; without slurmdbd, sacct cannot say how)',
      detailText: coreText('cluster_job_squeue_gone', {}),
      liveTasks: 0,
      ended: true,
    };
  }
  const detail = [...states.entries()].map(([state, n]) => `${n} ${state}`).join(', ');
  let liveTasks = 0;
  for (const [state, n] of states) if (live.has(state)) liveTasks += n;
  const has = (s: string) => (states.get(s) ?? 0) > 0;
  if (liveTasks > 0)
    return { state: has('RUNNING') || has('COMPLETING') ? 'running' : 'pending', detail, detailText: null, liveTasks, ended: false };
  const failed = [...states.keys()].some((s) => failedStates.has(s));
  return { state: failed ? 'failed' : has('CANCELLED') ? 'canceled' : 'finished', detail, detailText: null, liveTasks: 0, ended: true };
}

/** squeue for several jobs at once (one call, whatever their number). */
export async function querySlurm(host: CommandHost, jobIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
  if (jobIds.length === 0) return new Map();
  // Asking for jobs squeue has forgotten is an error in some versions: ask for the user's jobs and filter.
  const text = await host.run('squeue', ['--json'], { timeoutMs: 30_000 });
  const all = parseSqueue(text);
  return new Map(jobIds.map((id) => [id, all.get(id) ?? new Map<string, number>()]));
}

export async function cancelSlurm(host: CommandHost, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length > 0) await host.run('scancel', [...jobIds], { timeoutMs: 30_000 });
}
