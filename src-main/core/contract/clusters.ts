/**
 * Sending a sweep to a cluster (issue 15): saved cluster profiles, submitting a sweep as a Slurm
 * job array or a Kubernetes Indexed Job whose tasks run `kernellab agent`, the jobs recorded with
 * the sweep and their state, and cancelling them. The scheduler of the cluster places the tasks;
 * the runs are pulled by the agents from this server's queue, never mapped to task indices.
 */
import { z } from 'zod';
import { BackendName } from './app.ts';
import { CoreText } from './coreText.ts';
import { method } from './define.ts';

const Id = z.number().int().positive();

/** A word that goes into a job script or manifest: bounded, and only the characters it may hold. */
const word = (what: string, pattern: RegExp, max = 100) =>
  z.string().trim().min(1).max(max).regex(pattern, `${what}: must match ${pattern.source}`);

/** The URL agents reach this server at (https beyond this machine; http only for loopback or an ssh -R tunnel). */
export const ServerUrl = z
  .string()
  .trim()
  .max(500)
  .regex(/^[^\s'"`$\\;&|<>]+$/, 'must not hold spaces, quotes, $, \\, ;, &, |, < or >')
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials or query, e.g. https://login1:7860/');

const common = {
  /** The URL the agents use to reach this server. */
  serverUrl: ServerUrl,
  /** Tasks that run at once (Slurm's %C; Kubernetes parallelism). */
  concurrency: z.number().int().min(1).max(10_000).default(4),
  /** Runs one task takes before it exits (`kernellab agent --count`): several short runs per allocation. */
  count: z.number().int().min(1).max(10_000).default(1),
  /** The backend agents train with, when the run does not pin one (default: the first that loads on the node). */
  backend: BackendName.optional(),
};

export const SlurmSettings = z
  .object({
    ...common,
    partition: word('partition', /^[A-Za-z0-9_.,-]+$/).optional(),
    /** Generic resources per task, e.g. gpu:1 or gpu:a100:2. */
    gres: word('gres', /^[A-Za-z0-9_.:,-]+$/).optional(),
    /** Time limit per task: minutes, MM:SS, HH:MM:SS, D-HH or D-HH:MM:SS. */
    time: z
      .string()
      .trim()
      .regex(/^(\d+-)?\d+(:\d+){0,2}$/, 'time: minutes, HH:MM:SS or D-HH:MM:SS')
      .optional(),
    cpusPerTask: z.number().int().min(1).max(1024).optional(),
    /** Memory per node, e.g. 8G. */
    mem: word('mem', /^\d+[KMGT]?$/, 20).optional(),
    account: word('account', /^[A-Za-z0-9_.-]+$/).optional(),
    /** Submit on a login node over SSH (user@host or a host from ~/.ssh/config); local sbatch otherwise. */
    ssh: word('ssh', /^([A-Za-z0-9._-]+@)?[A-Za-z0-9._-]+$/, 200).optional(),
    /** Folder for the job script, the token file and the agents' spool (on the login node with ssh). */
    jobDir: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .regex(/^[^\0'"`$\\\n]+$/, 'jobDir: a path without quotes, $, backslashes or newlines')
      .optional(),
    /** How a node starts the agent: the single-file `kernellab-agent` on PATH by default. */
    agentCommand: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .regex(/^[^\0'"`$\\\n;&|<>]+$/, 'agentCommand: a command and arguments without quotes, $, ;, &, |, <, > or newlines')
      .default('kernellab-agent'),
    /** The cluster's MaxArraySize (scontrol show config); arrays are split below it. */
    maxArraySize: z.number().int().min(2).max(4_000_001).default(1001),
  })
  .strict();
export type SlurmSettings = z.output<typeof SlurmSettings>;

export const KubernetesSettings = z
  .object({
    ...common,
    namespace: word('namespace', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 63).default('default'),
    /** The agent's container image (Dockerfile.agent builds one). */
    image: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .regex(/^[A-Za-z0-9./:@_-]+$/, 'image: a container image reference'),
    /** GPUs per pod (nvidia.com/gpu). */
    gpus: z.number().int().min(0).max(16).default(0),
    cpu: word('cpu', /^\d+(\.\d+)?m?$/, 20).default('2'),
    memory: word('memory', /^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$/, 20).default('4Gi'),
    /** Write the manifest only (to kubectl apply yourself) even where a kubeconfig exists. */
    writeOnly: z.boolean().default(false),
  })
  .strict();
export type KubernetesSettings = z.output<typeof KubernetesSettings>;

export const ClusterProfile = z.discriminatedUnion('kind', [
  z.object({ name: z.string().trim().min(1).max(100), kind: z.literal('slurm'), settings: SlurmSettings }).strict(),
  z.object({ name: z.string().trim().min(1).max(100), kind: z.literal('kubernetes'), settings: KubernetesSettings }).strict(),
]);
export type ClusterProfile = z.output<typeof ClusterProfile>;
export type ClusterProfileInput = z.input<typeof ClusterProfile>;

export const ClusterJobState = z.enum(['submitted', 'pending', 'running', 'finished', 'failed', 'canceled', 'unknown']);

export const ClusterJob = z.object({
  id: Id,
  sweepId: Id,
  kind: z.enum(['slurm', 'kubernetes']),
  /** Slurm's job id, or namespace/name of the Kubernetes Job. */
  jobId: z.string(),
  tasks: z.number().int(),
  /** The sbatch script or manifest written for it. */
  file: z.string(),
  submittedAt: z.number(),
  state: ClusterJobState,
  /** What the cluster said: task states by count ("2 RUNNING, 1 PENDING"), or why it is unknown. */
  detail: z.string(),
  /** `detail`'s coded form, for the page's language (contract/coreText.ts); null: as the cluster said it. */
  detailCode: CoreText.nullable(),
  stateAt: z.number(),
  endedAt: z.number().nullable(),
});
export type ClusterJob = z.infer<typeof ClusterJob>;

/** What cancelling a sweep's cluster jobs did: the jobs cancelled, and what could not be, in English and coded. */
export const ClusterCancelResult = z.object({
  canceled: z.array(z.string()),
  problems: z.array(z.string()),
  /** `problems` coded, one per problem in the same order, for the user's language (absent: English only, an older core). */
  problemCodes: z.array(CoreText).optional(),
});
export type ClusterCancelResult = z.infer<typeof ClusterCancelResult>;

export const clustersMethods = {
  'clusters.profiles': method({
    input: z.object({}).strict().default({}),
    output: z.array(ClusterProfile),
    summary: 'Saved cluster profiles (Slurm and Kubernetes settings).',
  }),
  'clusters.saveProfile': method({
    input: z.object({ profile: ClusterProfile }).strict(),
    output: ClusterProfile,
    summary: 'Saves a cluster profile (replacing one of the same name).',
  }),
  'clusters.deleteProfile': method({
    input: z.object({ name: z.string().min(1).max(100) }).strict(),
    output: z.object({ deleted: z.boolean() }),
    summary: 'Deletes a saved cluster profile.',
  }),
  'clusters.submit': method({
    input: z
      .object({
        sweepId: Id,
        /** A saved profile's name, or the settings themselves. */
        profile: z.union([z.string().min(1).max(100), ClusterProfile], {
          error: 'expected a saved profile name or { name, kind: slurm|kubernetes, settings }',
        }),
        /** Write the script or manifest but submit nothing. */
        dryRun: z.boolean().default(false),
        /**
         * The label of the sweep's agent token, as the agents tables show it: made by the caller in
         * its user's language and stored as it is (absent: `<kind> profile <name>`).
         */
        tokenLabel: z.string().trim().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({
      jobs: z.array(ClusterJob),
      /** The files written: the sbatch script(s) or the manifest, and the token file. */
      files: z.array(z.string()),
      /** The script or manifest text (the first, when split). */
      text: z.string(),
      tokenId: Id,
      /** What to do next, in a sentence (e.g. the kubectl command when only written). */
      next: z.string(),
      /** `next` coded, for the user's language (absent: English only, an older core). */
      nextCode: CoreText.optional(),
    }),
    summary:
      "Sends a sweep to a cluster: makes its agent token, writes an sbatch job array (or a Kubernetes Indexed Job) whose tasks run `kernellab agent`, submits it and records the job with the sweep; this machine stops claiming the sweep's runs.",
  }),
  'clusters.jobs': method({
    input: z
      .object({ sweepId: Id.optional(), refresh: z.boolean().default(true) })
      .strict()
      .default({ refresh: true }),
    output: z.array(ClusterJob),
    summary: "Cluster jobs of a sweep (or all), with their state as the cluster reports it now (squeue --json; the Job's status).",
  }),
  'clusters.cancel': method({
    input: z.object({ sweepId: Id }).strict(),
    output: ClusterCancelResult,
    summary: "Cancels a sweep's cluster jobs (scancel; deleting the Kubernetes Job). sweeps.cancel does this too.",
  }),
};

export const clustersEvents = {
  /** A cluster job was submitted or its state changed. */
  'cluster.job': ClusterJob,
};
