/**
 * Sending a sweep to a cluster, watching its jobs and cancelling them: the part both launchers
 * share. Submitting places the sweep on agents (this machine's scheduler stops claiming its
 * runs), makes a token for it, writes the job files and submits them, and records each job with
 * the sweep. A watcher in the long-running shells (app, serve) polls the jobs' state and, when a
 * Slurm sweep still has queued runs but no task left alive (a task was cancelled or preempted after
 * the others had finished), submits a small top-up array, at most as many tasks in all as twice the
 * sweep's runs.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterCancelResult, ClusterJob, ClusterProfile, KubernetesSettings, SlurmSettings } from '../contract/clusters.ts';
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import type { ServiceContext } from '../context.ts';
import type { ClusterJobRecord } from '../db/clusterRecords.ts';
import { coded, KernelLabError, sweepNotFound } from '../errors.ts';
import { localHost, shellQuote, sshHost, type CommandHost } from './command.ts';
import { applyKubernetes, deleteKubernetesJob, kubernetesJobState, kubernetesManifests, kubernetesYaml } from './kubernetes.ts';
import { arrayChunks, cancelSlurm, parseSbatchJobId, querySlurm, sbatchArgs, sbatchScript, slurmJobState } from './slurm.ts';

export interface Submitted {
  jobs: ClusterJob[];
  files: string[];
  text: string;
  tokenId: number;
  next: string;
  /** `next` coded, for the user's language. */
  nextCode: CoreText;
}

const publicJob = (job: ClusterJobRecord): ClusterJob => {
  const { settings: _settings, tokenId: _tokenId, ...rest } = job;
  return rest;
};

function hostOf(settings: SlurmSettings): CommandHost {
  return settings.ssh ? sshHost(settings.ssh) : localHost;
}

/** Runs of a sweep still to train (queued, not derived by folding). */
function runsToTrain(ctx: ServiceContext, sweepId: number): number {
  return ctx.store.runsOfSweep(sweepId).filter((r) => r.status === 'queued' && r.derivedFromRunId === null).length;
}

/** Writes a file on the submitting host, readable by its owner only when `secret`. */
async function writeOnHost(host: CommandHost, path: string, text: string, secret: boolean): Promise<void> {
  if (host === localHost) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text, { mode: secret ? 0o600 : 0o644 });
    if (secret) chmodSync(path, 0o600);
    return;
  }
  await host.run('sh', ['-c', `mkdir -p "$(dirname "$0")" && ${secret ? 'umask 077 && ' : ''}cat > "$0"`, path], { input: text });
}

export async function submitSweep(
  ctx: ServiceContext,
  sweepId: number,
  profile: ClusterProfile,
  options: { dryRun: boolean; resumeSweep: (id: number) => void; tokenLabel?: string },
): Promise<Submitted> {
  const { store } = ctx;
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw sweepNotFound(sweepId);
  if (sweep.status === 'canceled' || sweep.status === 'completed')
    throw coded('conflict', `Sweep ${sweepId} is ${sweep.status}: there is nothing to send to a cluster`, 'cluster_sweep_ended', {
      id: sweepId,
      status: sweep.status,
    });
  // From now on only agents claim its runs; interrupted runs go back to the queue for them.
  if (!options.dryRun) {
    store.agents.setRunsOn(sweepId, 'agents');
    options.resumeSweep(sweepId);
  }
  const toTrain = runsToTrain(ctx, sweepId) + (options.dryRun ? store.runsWithStatus('interrupted', sweepId).length : 0);
  if (toTrain === 0)
    throw coded('conflict', `Sweep ${sweepId} has no queued run to send to a cluster`, 'cluster_sweep_nothing_queued', { id: sweepId });
  // The caller makes the label in its user's language (a name made once and stored as it is).
  const { token, secret } = store.agents.createToken(sweepId, options.tokenLabel ?? `${profile.kind} profile ${profile.name}`);
  const tasks = Math.ceil(toTrain / profile.settings.count);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const submitted =
    profile.kind === 'slurm'
      ? await submitSlurm(
          ctx,
          { sweepId, sweepName: sweep.name, tasks, settings: profile.settings, secret, tokenId: token.id, stamp },
          options.dryRun,
        )
      : await submitKubernetes(
          ctx,
          { sweepId, sweepName: sweep.name, tasks, settings: profile.settings, secret, tokenId: token.id, stamp },
          options.dryRun,
        );
  return { ...submitted, tokenId: token.id };
}

interface SubmitInput<S> {
  sweepId: number;
  sweepName: string;
  tasks: number;
  settings: S;
  secret: string;
  tokenId: number;
  stamp: string;
}

async function submitSlurm(ctx: ServiceContext, input: SubmitInput<SlurmSettings>, dryRun: boolean): Promise<Omit<Submitted, 'tokenId'>> {
  const s = input.settings;
  const host = hostOf(s);
  const jobDir =
    s.jobDir ?? (s.ssh ? `kernellab-jobs/sweep-${input.sweepId}` : join(ctx.layout.root, 'clusters', `sweep-${input.sweepId}`));
  const tokenFile = `${jobDir}/token-${input.tokenId}`;
  await writeOnHost(host, tokenFile, `${input.secret}\n`, true);
  const chunks = arrayChunks(input.tasks, s.maxArraySize);
  const files: string[] = [tokenFile];
  const jobs: ClusterJob[] = [];
  let firstText = '';
  let after: string | null = null;
  for (const [index, tasks] of chunks.entries()) {
    const text = sbatchScript({
      sweepId: input.sweepId,
      sweepName: input.sweepName,
      tasks,
      chunk: index,
      chunks: chunks.length,
      settings: s,
      jobDir,
      tokenFile,
      writtenAt: new Date(),
    });
    if (index === 0) firstText = text;
    const file = `${jobDir}/sweep-${input.sweepId}-${input.stamp}${chunks.length > 1 ? `-${index + 1}` : ''}.sbatch`;
    await writeOnHost(host, file, text, false);
    files.push(file);
    if (dryRun) continue;
    await host.run('mkdir', ['-p', `${jobDir}/spool`]);
    const jobId = parseSbatchJobId(await host.run('sbatch', sbatchArgs(file, after), { timeoutMs: 60_000 }));
    after = jobId;
    const job = ctx.store.clusters.addJob({
      sweepId: input.sweepId,
      kind: 'slurm',
      settings: s,
      jobId,
      tasks,
      file,
      tokenId: input.tokenId,
      state: 'submitted',
      detail: `sbatch on ${host.label}`,
      detailText: coreText('cluster_job_sbatch_on', { host: host.label }),
    });
    ctx.events.emit('cluster.job', publicJob(job));
    jobs.push(publicJob(job));
  }
  return {
    jobs,
    files,
    text: firstText,
    ...slurmNext({
      dryRun,
      ssh: s.ssh,
      files: files.slice(1),
      jobIds: jobs.map((j) => j.jobId),
      tasks: input.tasks,
      concurrency: s.concurrency,
      jobDir,
    }),
  };
}

/**
 * What to do after a Slurm submit, in English (scripts read it) and coded for the user's language:
 * the sbatch commands to run by hand after a dry run, else the jobs submitted.
 */
export function slurmNext(o: {
  dryRun: boolean;
  ssh: string | undefined;
  /** The sbatch scripts written, in order. */
  files: string[];
  jobIds: string[];
  tasks: number;
  concurrency: number;
  jobDir: string;
}): { next: string; nextCode: CoreText } {
  const where = o.ssh ? ` on ${o.ssh}` : '';
  if (o.dryRun) {
    const commands = o.files.map((f) => `sbatch ${shellQuote(f)}`).join(' && ');
    return {
      next: `Nothing was submitted. To submit by hand${where}: ${commands}`,
      nextCode: o.ssh
        ? coreText('cluster_next_slurm_dry_run_ssh', { ssh: o.ssh, commands })
        : coreText('cluster_next_slurm_dry_run', { commands }),
    };
  }
  const jobIds = o.jobIds.join(', ');
  const atOnce = Math.min(o.concurrency, o.tasks);
  const said = { jobIds, tasks: o.tasks, atOnce, jobDir: o.jobDir };
  const several = o.jobIds.length > 1;
  return {
    next: `Submitted job${several ? 's' : ''} ${jobIds}${where}: ${o.tasks} task${o.tasks === 1 ? '' : 's'}, at most ${atOnce} at once. Logs in ${o.jobDir}.`,
    nextCode: o.ssh
      ? coreText(several ? 'cluster_next_slurm_submitted_jobs_ssh' : 'cluster_next_slurm_submitted_ssh', { ...said, ssh: o.ssh })
      : coreText(several ? 'cluster_next_slurm_submitted_jobs' : 'cluster_next_slurm_submitted', said),
  };
}

async function submitKubernetes(
  ctx: ServiceContext,
  input: SubmitInput<KubernetesSettings>,
  dryRun: boolean,
): Promise<Omit<Submitted, 'tokenId'>> {
  const [secret, job] = kubernetesManifests({
    sweepId: input.sweepId,
    sweepName: input.sweepName,
    tasks: input.tasks,
    settings: input.settings,
    secret: input.secret,
    suffix: input.stamp.toLowerCase(),
  });
  const text = kubernetesYaml([secret, job]);
  const file = join(ctx.layout.root, 'clusters', `sweep-${input.sweepId}`, `kubernetes-${input.stamp}.yaml`);
  // The file holds the token: readable by its owner only.
  await writeOnHost(localHost, file, text, true);
  const applied = dryRun || input.settings.writeOnly ? undefined : await applyKubernetes(secret, job);
  const jobs: ClusterJob[] = [];
  if (applied) {
    const record = ctx.store.clusters.addJob({
      sweepId: input.sweepId,
      kind: 'kubernetes',
      settings: input.settings,
      jobId: applied.jobId,
      tasks: input.tasks,
      file,
      tokenId: input.tokenId,
      state: 'submitted',
      detail: 'created with the Kubernetes API',
      detailText: coreText('cluster_job_k8s_created', {}),
    });
    ctx.events.emit('cluster.job', publicJob(record));
    jobs.push(publicJob(record));
  }
  const noKubeconfig = !applied && !(dryRun || input.settings.writeOnly);
  return {
    jobs,
    files: [file],
    text: text.replace(input.secret, '<token>'),
    ...kubernetesNext({ jobId: applied?.jobId, file, tasks: input.tasks, concurrency: input.settings.concurrency, noKubeconfig }),
  };
}

/**
 * What to do after a Kubernetes submit, in English (scripts read it) and coded for the user's
 * language: the Job created (`jobId`), or the manifest written to apply by hand; `noKubeconfig`
 * when it was to be applied but this machine has no kubeconfig.
 */
export function kubernetesNext(o: { jobId: string | undefined; file: string; tasks: number; concurrency: number; noKubeconfig: boolean }): {
  next: string;
  nextCode: CoreText;
} {
  if (o.jobId !== undefined) {
    const atOnce = Math.min(o.concurrency, o.tasks);
    return {
      next: `Created Job ${o.jobId}: ${o.tasks} pods, at most ${atOnce} at once.`,
      nextCode: coreText('cluster_next_k8s_created', { jobId: o.jobId, pods: o.tasks, atOnce }),
    };
  }
  return {
    next: `Written, not applied${o.noKubeconfig ? ' (no kubeconfig here)' : ''}: kubectl apply -f ${o.file}`,
    nextCode: coreText(o.noKubeconfig ? 'cluster_next_k8s_written_no_kubeconfig' : 'cluster_next_k8s_written', { file: o.file }),
  };
}

/** A job's state detail once KernelLab cancelled it, in English and coded. */
export function canceledDetail(when: Date): { detail: string; detailText: CoreText } {
  const at = when.toISOString();
  return { detail: `cancelled from KernelLab at ${at}`, detailText: coreText('cluster_job_canceled_from_app', { at }) };
}

/** Cancels a sweep's open cluster jobs; problems (an unreachable login node) are reported, not thrown. */
export async function cancelClusterJobs(ctx: ServiceContext, sweepId: number): Promise<ClusterCancelResult> {
  const canceled: string[] = [];
  const problems: string[] = [];
  const problemCodes: CoreText[] = [];
  for (const job of ctx.store.clusters.jobs({ sweepId, open: true })) {
    try {
      if (job.kind === 'slurm') await cancelSlurm(hostOf(job.settings as SlurmSettings), [job.jobId]);
      else await deleteKubernetesJob(job.jobId);
      const { detail, detailText } = canceledDetail(new Date());
      ctx.store.clusters.setJobState(job.id, 'canceled', detail, true, detailText);
      ctx.events.emit('cluster.job', publicJob(ctx.store.clusters.job(job.id)!));
      canceled.push(job.jobId);
    } catch (error) {
      const message = (error as Error).message;
      const problem: ProblemText = {
        sentence: message.slice(0, 4000),
        path: '',
        text: (error instanceof KernelLabError && error.text) || null,
      };
      problems.push(`${job.kind} job ${job.jobId}: ${message}`);
      problemCodes.push(coreText('cluster_cancel_problem', { kind: job.kind, jobId: job.jobId, problem: [problem] }));
    }
  }
  return { canceled, problems, problemCodes };
}

/** Polls the state of open jobs (all, or one sweep's) and records what changed. */
export async function refreshClusterJobs(ctx: ServiceContext, sweepId?: number): Promise<ClusterJob[]> {
  const open = ctx.store.clusters.jobs({ sweepId, open: true });
  const now = Date.now();
  const byHost = new Map<string, ClusterJobRecord[]>();
  for (const job of open.filter((j) => j.kind === 'slurm')) {
    const key = (job.settings as SlurmSettings).ssh ?? '';
    byHost.set(key, [...(byHost.get(key) ?? []), job]);
  }
  for (const [ssh, jobs] of byHost) {
    let states: Map<string, Map<string, number>>;
    try {
      states = await querySlurm(
        ssh ? sshHost(ssh) : localHost,
        jobs.map((j) => j.jobId),
      );
    } catch (error) {
      for (const job of jobs) record(ctx, job, 'unknown', (error as Error).message.slice(0, 300), false, null);
      continue;
    }
    for (const job of jobs) {
      const s = slurmJobState(states.get(job.jobId), job.submittedAt, now);
      record(ctx, job, s.state, s.detail, s.ended, s.detailText);
    }
  }
  for (const job of open.filter((j) => j.kind === 'kubernetes')) {
    const s = await kubernetesJobState(job.jobId);
    record(ctx, job, s.state, s.detail, s.ended, s.detailText);
  }
  return ctx.store.clusters.jobs({ sweepId }).map(publicJob);
}

function record(
  ctx: ServiceContext,
  job: ClusterJobRecord,
  state: ClusterJob['state'],
  detail: string,
  ended: boolean,
  detailText: CoreText | null,
): void {
  if (ctx.store.clusters.setJobState(job.id, state, detail, ended, detailText))
    ctx.events.emit('cluster.job', publicJob(ctx.store.clusters.job(job.id)!));
}

/** Tasks of a sweep's Slurm jobs still pending or running, from the details squeue gave. */
function liveTasks(jobs: readonly ClusterJobRecord[]): number {
  let n = 0;
  for (const job of jobs) {
    if (job.endedAt !== null) continue;
    if (job.state === 'submitted') n += job.tasks;
    for (const match of job.detail.matchAll(/(\d+) (PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED)/g)) n += Number(match[1]);
  }
  return n;
}

/**
 * A Slurm sweep with queued runs and no live task gets a top-up array (same settings and token),
 * while the sweep has had fewer than twice its runs in tasks. Returns the jobs submitted.
 */
export async function topUpSlurmSweeps(ctx: ServiceContext): Promise<ClusterJob[]> {
  const out: ClusterJob[] = [];
  const sweepIds = [
    ...new Set(
      ctx.store.clusters
        .jobs({})
        .filter((j) => j.kind === 'slurm')
        .map((j) => j.sweepId),
    ),
  ];
  for (const sweepId of sweepIds) {
    const sweep = ctx.store.getSweep(sweepId);
    if (!sweep || sweep.status !== 'running' || sweep.runsOn !== 'agents') continue;
    const queued = runsToTrain(ctx, sweepId);
    if (queued === 0) continue;
    const jobs = ctx.store.clusters.jobs({ sweepId }).filter((j) => j.kind === 'slurm');
    if (liveTasks(jobs) > 0) continue;
    const last = jobs[jobs.length - 1]!;
    const settings = last.settings as SlurmSettings;
    const trained = ctx.store.runsOfSweep(sweepId).filter((r) => r.derivedFromRunId === null).length;
    const submittedTasks = jobs.reduce((a, j) => a + j.tasks, 0);
    const tasks = Math.min(Math.ceil(queued / settings.count), settings.concurrency, 2 * trained - submittedTasks);
    if (tasks <= 0 || last.tokenId === null) continue;
    const host = hostOf(settings);
    const file = last.file.replace(/(-top-up-\d+)?(-\d+)?\.sbatch$/, `-top-up-${jobs.length}.sbatch`);
    const text = sbatchScript({
      sweepId,
      sweepName: sweep.name,
      tasks,
      chunk: 0,
      chunks: 1,
      settings,
      jobDir: last.file.slice(0, last.file.lastIndexOf('/')),
      tokenFile: `${last.file.slice(0, last.file.lastIndexOf('/'))}/token-${last.tokenId}`,
      writtenAt: new Date(),
    });
    try {
      await writeOnHost(host, file, text, false);
      const jobId = parseSbatchJobId(await host.run('sbatch', sbatchArgs(file, null), { timeoutMs: 60_000 }));
      const job = ctx.store.clusters.addJob({
        sweepId,
        kind: 'slurm',
        settings,
        jobId,
        tasks,
        file,
        tokenId: last.tokenId,
        state: 'submitted',
        detail: `top-up: ${queued} queued run${queued === 1 ? '' : 's'} and no live task`,
        detailText: coreText('cluster_job_top_up', { queued }),
      });
      ctx.events.emit('cluster.job', publicJob(job));
      out.push(publicJob(job));
    } catch (error) {
      console.error(`clusters: topping up sweep ${sweepId} failed:`, (error as Error).message);
    }
  }
  return out;
}

/** Polls cluster jobs every `pollMs` in the long-running shells; returns a stop function. */
export function watchClusterJobs(ctx: ServiceContext, pollMs: number): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !ctx.store.isOpen) return;
    if (ctx.store.clusters.jobs({ open: true }).length === 0 && !hasQueuedAgentSweep(ctx)) return;
    busy = true;
    refreshClusterJobs(ctx)
      .then(() => topUpSlurmSweeps(ctx))
      .catch((error: unknown) => console.error('clusters: polling failed:', (error as Error).message))
      .finally(() => (busy = false));
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}

function hasQueuedAgentSweep(ctx: ServiceContext): boolean {
  return ctx.store
    .listSweeps()
    .some(
      (s) =>
        s.status === 'running' &&
        s.runsOn === 'agents' &&
        (s.runCounts.queued ?? 0) > 0 &&
        ctx.store.clusters.jobs({ sweepId: s.id }).length > 0,
    );
}
