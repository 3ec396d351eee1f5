/**
 * Remote executors: a process on another machine (`kernellab agent` in a Slurm job-array task or a
 * Kubernetes pod; later a GPU host in a browser) that pulls runs from the server, trains them and
 * reports back. The methods under `agent.` are the whole of what such an executor can do, and
 * they take an agent token, never the browser-mode token: one sweep's runs, nothing else.
 *
 * The protocol, in order (every call names the agent by the id it chose):
 *   agent.hello        → the sweep, the lease length, how often to heartbeat, transfer limits
 *   agent.claim        → the next runnable run of the sweep and its lease (runId + attempt), or
 *                        none; an agent that already holds a run gets that run again (a retried
 *                        claim never takes a second one)
 *   agent.fetchFile    → dataset files and, for a run resumed on another node, its checkpoint
 *   agent.uploadFile   → checkpoint files, in chunks, before the event that names them
 *   agent.report       → the run's events, numbered from 1 per attempt; a report repeated after a
 *                        lost answer records nothing twice. Answers whether the lease still
 *                        holds and whether the run should stop (sweep paused or canceled)
 *   agent.heartbeat    → keeps the lease while nothing else is said
 *   agent.finish       → the outcome; settled like a local run's (interrupted: queued again)
 *   agent.bye          → the agent exits
 * The events are the executor seam's RunEvents (core/sweeps/execution.ts) in JSON: metric
 * values NaN and ±Infinity travel as strings, and a checkpoint names uploaded files instead of a
 * path on the agent's disk.
 */
import { z } from 'zod';
import { GpuAdapter, RunBackend } from './app.ts';
import { CoreText, coreText, ProblemText } from './coreText.ts';
import { method } from './define.ts';
import { MetricKey, MetricValue, RunStatus } from './runs.ts';

const Id = z.number().int().positive();

/** What an agent token looks like: `kla_` then 43 base64url characters (32 random bytes). */
export const agentTokenPattern = /^kla_[A-Za-z0-9_-]{43}$/;

/** The agent's own id (a UUID it makes at start). Its runs are held under the lease owner `agent:<id>`. */
export const AgentId = z.uuid({ error: 'must be a UUID the agent made' });

export const AgentIdentity = z
  .object({
    id: AgentId,
    /** The node's host name. */
    host: z.string().trim().min(1).max(253),
    /** Where it runs: "slurm 1234_5", "pod sweep-7-2", or empty. */
    job: z.string().max(200).default(''),
    version: z.string().max(50).default(''),
    /** The backends that load on the node (a browser GPU host: webgpu and/or webgl). */
    backends: z.array(RunBackend).min(1, 'at least one backend must load on the agent').max(5),
    /** How many runs it takes before it exits (`--count`); null: until the queue is empty. */
    maxRuns: z.number().int().positive().max(100_000).nullable().default(null),
    /**
     * A browser GPU host: the adapters it offers, as the browser names them (one per API). The
     * server keeps the report for `auto` and This machine, and judges software adapters itself.
     */
    adapters: z.array(GpuAdapter).max(2, 'at most one adapter per API (webgpu, webgl)').default([]),
  })
  .strict();
export type AgentIdentity = z.input<typeof AgentIdentity>;

/** The right to report for a run: the attempt the agent claimed (the lease's fencing token). */
export const AgentLease = z.object({ agentId: AgentId, runId: Id, attempt: z.number().int().positive() }).strict();
export type AgentLease = z.infer<typeof AgentLease>;

const FileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a plain file name (letters, digits, . _ -), no folders')
  .refine((n) => !n.includes('..'), 'must not contain ..');
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256');

export const FileRef = z.object({ name: FileName, bytes: z.number().int().min(0), sha256: Sha256 }).strict();
export type FileRef = z.infer<typeof FileRef>;

/** The most bytes one checkpoint (all of its files together) may have when an agent uploads it. */
export const maxCheckpointBytes = 4 * 1024 ** 3;
/** The most files in one checkpoint. */
export const maxCheckpointFiles = 32;
/** The most epochs any run may have, whatever its spec says (each epoch is a row per metric). */
const maxEpoch = 1_000_000;

/** A checkpoint's files as an agent names them: each name once, within the size a checkpoint may have. */
const CheckpointFiles = z
  .array(FileRef)
  .min(1)
  .max(maxCheckpointFiles)
  .refine((files) => new Set(files.map((f) => f.name)).size === files.length, 'each file name once')
  .refine((files) => files.reduce((a, f) => a + f.bytes, 0) <= maxCheckpointBytes, {
    message: `at most ${maxCheckpointBytes} bytes in one checkpoint`,
  });

/** What a worker says about where it ran (threads, engine versions, GPU, the agent's host): small, plain JSON. */
const maxRuntimeChars = 16 * 1024;
const Runtime = z
  .record(
    z
      .string()
      .min(1)
      .max(100)
      .refine((key) => key !== '__proto__', 'the name __proto__ is reserved'),
    z.unknown(),
  )
  .refine((runtime) => Object.keys(runtime).length <= 32, 'at most 32 entries')
  .refine((runtime) => JSON.stringify(runtime).length <= maxRuntimeChars, `at most ${maxRuntimeChars} characters as JSON`);

/** A base64 string (what Buffer.from(…, 'base64') would otherwise read around, silently). */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 (A–Z a–z 0–9 + / and = padding)');

export const CheckpointKind = z.enum(['best', 'last', 'epoch']);

/** A metric value as it travels: a number, a non-finite one as a string, or null (not measured). */
const WireMetric = z.union([MetricValue, z.null()]);

/** One RunEvent as an agent reports it. */
export const AgentEvent = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('started'),
      backend: z.string().min(1).max(50),
      device: z.string().max(500),
      /**
       * `device` coded (coreText.ts), so the run shows it in the user's language; absent from agents
       * before it. A code this server does not know is dropped, not refused: the English is kept.
       */
      deviceCode: CoreText.optional().catch(undefined),
      runtime: Runtime.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('progress'),
      epoch: z.number().int().min(1).max(maxEpoch),
      epochs: z.number().int().min(1).max(maxEpoch),
      batch: z.number().int().min(0).max(1e9),
      batchesPerEpoch: z.number().int().min(0).max(1e9),
      loss: MetricValue,
      accuracy: MetricValue,
      samplesPerSec: z.number().min(0),
    })
    .strict(),
  z
    .object({
      type: z.literal('epoch'),
      epoch: z.number().int().min(1).max(maxEpoch),
      values: z.record(MetricKey, WireMetric).refine((v) => Object.keys(v).length <= 100, 'at most 100 values per epoch'),
    })
    .strict(),
  z
    .object({
      type: z.literal('checkpoint'),
      epoch: z.number().int().min(0).max(maxEpoch),
      kind: CheckpointKind,
      /** The files, uploaded before this event with agent.uploadFile. */
      files: CheckpointFiles,
      metric: MetricKey.nullable(),
      value: WireMetric,
    })
    .strict(),
  z
    .object({
      type: z.literal('evaluation'),
      /** Set for an intermediate evaluation asked for by epoch folding; null for the final one. */
      epoch: z.number().int().min(1).max(maxEpoch).nullable(),
      loss: WireMetric,
      accuracy: WireMetric,
      /** classes × classes, as the worker counts them. */
      confusion: z
        .array(z.array(z.number().int().min(0)).max(1000))
        .max(1000)
        .refine((rows) => rows.every((row) => row.length === rows.length), 'a square matrix (one row and one column per class)'),
      perClass: z
        .array(
          z
            .object({ label: z.string().max(200), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().min(0) })
            .strict(),
        )
        .max(1000),
      mostWrong: z
        .array(
          z
            .object({
              index: z.number().int().min(0),
              label: z.number().int().min(0),
              predicted: z.number().int().min(0),
              confidence: z.number(),
            })
            .strict(),
        )
        .max(1000),
    })
    .strict(),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;

/**
 * How an execution ended (execution.ts RunOutcome). `errorText`/`reasonText`: the sentence's coded
 * form, stored beside it (runs.error_code) so the page shows a cluster run's error in its language;
 * `errorIssues` the problems a failure lists after its heading, coded (runs.error_issues); optional,
 * as agents from before them send the sentence alone.
 */
export const AgentOutcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('completed') }).strict(),
  z.object({ kind: z.literal('canceled') }).strict(),
  z
    .object({
      kind: z.literal('failed'),
      error: z.string().max(4000),
      errorText: CoreText.optional(),
      errorIssues: z.array(ProblemText).max(1000).optional(),
    })
    .strict(),
  z.object({ kind: z.enum(['diverged', 'interrupted']), error: z.string().max(4000), errorText: CoreText.optional() }).strict(),
  z
    .object({
      kind: z.literal('pruned'),
      reason: z.string().max(4000),
      reasonText: CoreText.optional(),
      epoch: z.number().int().min(0).max(maxEpoch),
      rung: z.number().int().min(0).max(1000).nullable(),
    })
    .strict(),
]);
export type AgentOutcome = z.infer<typeof AgentOutcome>;

/** Why the server wants a run stopped: the run or its sweep was canceled, or the sweep paused. */
export const StopRequest = z.enum(['cancel', 'interrupt']).nullable();

/** Largest chunk of a file in one agent.fetchFile or agent.uploadFile call. */
export const maxChunkBytes = 4 * 1024 * 1024;
/** Most events in one agent.report. */
export const maxEventsPerReport = 2000;

/** A run as an agent needs it to train it: the spec, not the store's bookkeeping. */
export const AgentJob = z.object({
  runId: Id,
  uuid: z.uuid(),
  name: z.string(),
  /** Null for a single run (a browser GPU host trains those too). */
  sweepId: Id.nullable(),
  dataset: z.string(),
  modelSpec: z.unknown(),
  hyperparameters: z.record(z.string(), z.unknown()),
  environment: z.record(z.string(), z.unknown()),
  lease: AgentLease,
  /** Continue from the checkpoint below (the run was interrupted elsewhere). */
  resume: z.boolean(),
  /** The last epoch whose metrics the server has. */
  recordedEpochs: z.number().int().min(0),
  /** Epoch folding: evaluate on the test split after these epochs too. */
  evaluateAtEpochs: z.array(z.number().int().positive()),
  /** The run's last checkpoint on the server, to fetch before resuming; null when there is none. */
  checkpoint: z.array(FileRef).nullable(),
  /** Events of this attempt already recorded (a claim answered twice): report from the next one. */
  recordedSeq: z.number().int().min(0),
});
export type AgentJob = z.infer<typeof AgentJob>;

const FetchTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dataset'), dataset: z.string().min(1).max(50), name: FileName }).strict(),
  z.object({ kind: z.literal('checkpoint'), lease: AgentLease, name: FileName }).strict(),
  /**
   * The held run's splits as the server prepared them (subset, validation split: the same
   * images a worker process would train on), in gpuhost/runDataCodec.ts's layout: a browser GPU
   * host has no dataset files to read and no Node to decode them.
   */
  z.object({ kind: z.literal('runData'), lease: AgentLease }).strict(),
]);

export const agentMethods = {
  'agent.hello': method({
    input: z.object({ agent: AgentIdentity }).strict(),
    output: z.object({
      /** Null for a browser GPU host's token: runs pinned to webgpu or webgl, in any sweep or none. */
      sweepId: Id.nullable(),
      sweepName: z.string(),
      /** How long a lease lasts without a report or heartbeat (ms). */
      leaseMs: z.number().int().positive(),
      /** How often to heartbeat while nothing else is reported (ms). */
      heartbeatMs: z.number().int().positive(),
      maxChunkBytes: z.number().int().positive(),
      maxEventsPerReport: z.number().int().positive(),
      /** The dataset files an agent needs for this sweep, per dataset (manifest first). */
      datasets: z.record(z.string(), z.array(FileRef)),
    }),
    summary: "An agent introduces itself (host, job, backends): answers with its sweep, the lease length and the sweep's dataset files.",
  }),
  'agent.claim': method({
    input: z.object({ agentId: AgentId }).strict(),
    output: z.object({
      job: AgentJob.nullable(),
      /** Why there is no job: the queue is empty, the sweep is paused or over. */
      reason: z.string(),
      /** `reason` coded, for a page and an agent's log in the user's language (coreText.ts); absent from older servers. */
      reasonCode: CoreText.optional(),
      /** True when nothing more will come for this sweep (it finished or was canceled): the agent can exit. */
      done: z.boolean(),
    }),
    summary: 'Claims the next runnable run of the agent token’s sweep (or returns the run the agent already holds).',
  }),
  'agent.fetchFile': method({
    input: z.object({ target: FetchTarget, offset: z.number().int().min(0), length: z.number().int().min(1).max(maxChunkBytes) }).strict(),
    output: z.object({ data: z.string(), bytes: z.number().int(), total: z.number().int() }),
    summary: "Reads a chunk (base64) of a dataset file of the token's sweep, or of the checkpoint of a run the agent holds.",
  }),
  'agent.uploadFile': method({
    input: z
      .object({
        lease: AgentLease,
        epoch: z.number().int().min(0).max(maxEpoch),
        kind: CheckpointKind,
        /**
         * Chunks of the checkpoint's files, in order: the whole of several small files in one call,
         * or one chunk of a large one. At most maxChunkBytes bytes in all (base64).
         */
        parts: z
          .array(
            z
              .object({
                file: FileRef.extend({ bytes: z.number().int().min(0).max(maxCheckpointBytes) }),
                offset: z.number().int().min(0).max(maxCheckpointBytes),
                data: Base64,
              })
              .strict(),
          )
          .min(1)
          .max(maxCheckpointFiles)
          .refine((parts) => parts.reduce((a, p) => a + p.data.length, 0) <= Math.ceil(maxChunkBytes / 3) * 4, {
            message: `at most ${maxChunkBytes} bytes of file data in one call`,
          }),
      })
      .strict(),
    output: z.object({
      held: z.boolean(),
      /** Per part: the bytes of its file received so far, and whether the file is whole (SHA-256 checked). */
      files: z.array(z.object({ name: z.string(), received: z.number().int(), complete: z.boolean() })),
    }),
    summary: 'Uploads checkpoint files (or chunks of them) of a run the agent holds; the report naming the checkpoint follows.',
  }),
  'agent.report': method({
    input: z
      .object({
        lease: AgentLease,
        /** The number of the first event below; events are numbered from 1 per attempt. */
        firstSeq: z.number().int().min(1),
        events: z.array(AgentEvent).max(maxEventsPerReport),
      })
      .strict(),
    output: z.object({
      /** False: the run was recovered or claimed again; stop training it, record nothing more. */
      held: z.boolean(),
      /** Events recorded for this attempt so far (the agent may forget those). */
      recordedSeq: z.number().int(),
      stop: StopRequest,
    }),
    summary: "Records a run's events (metrics, checkpoints, evaluations) in order, each once; extends the lease.",
  }),
  'agent.heartbeat': method({
    input: z.object({ lease: AgentLease }).strict(),
    output: z.object({ held: z.boolean(), stop: StopRequest }),
    summary: 'Extends the lease of a run the agent holds; says whether to stop.',
  }),
  'agent.finish': method({
    input: z.object({ lease: AgentLease, lastSeq: z.number().int().min(0), outcome: AgentOutcome }).strict(),
    output: z.object({ held: z.boolean(), status: RunStatus.nullable(), requeued: z.boolean() }),
    summary: 'Ends a run the agent holds with its outcome (after every event was reported); an interrupted run is queued again.',
  }),
  'agent.bye': method({
    input: z.object({ agentId: AgentId, reason: z.string().max(500) }).strict(),
    output: z.object({ ok: z.boolean() }),
    summary: 'The agent exits (count reached, queue empty, or a signal).',
  }),
};

/** Why an agent says goodbye (agent.bye's reason), as agents send it; the server codes these sentences. */
export const byeReasons = {
  done: 'done',
  signal: 'stopped by a signal',
  pageStopped: 'the page stopped lending its GPU',
} as const;

/** An agent's goodbye reason coded for the page (agents of older versions send the same sentences); null for any other. */
export function byeReasonText(reason: string | null): CoreText | null {
  switch (reason) {
    case byeReasons.done:
      return coreText('agent_bye_done', {});
    case byeReasons.signal:
      return coreText('agent_bye_signal', {});
    case byeReasons.pageStopped:
      return coreText('agent_bye_page_stopped', {});
    default:
      return null;
  }
}

/** An agent token as listed: never its secret. */
export const AgentToken = z.object({
  id: Id,
  /** Null: a browser GPU host's token (runs pinned to webgpu or webgl). */
  sweepId: Id.nullable(),
  label: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
});
export type AgentToken = z.infer<typeof AgentToken>;

/** An agent as the app shows it: where it runs and what it trains now. */
export const AgentInfo = z.object({
  id: AgentId,
  /** Null: a browser lending its GPU (runs pinned to webgpu or webgl, any sweep). */
  sweepId: Id.nullable(),
  host: z.string(),
  job: z.string(),
  version: z.string(),
  backends: z.array(z.string()),
  maxRuns: z.number().int().nullable(),
  runsClaimed: z.number().int(),
  firstSeenAt: z.number(),
  lastSeenAt: z.number(),
  endedAt: z.number().nullable(),
  endReason: z.string().nullable(),
  /** `endReason` coded (byeReasonText), for the page's language; null for a reason no agent of this version sends. */
  endReasonCode: CoreText.nullable().optional(),
  /** The run it holds now, if any. */
  runId: Id.nullable(),
  /** 'active': heard within its lease; 'silent': not heard for longer; 'gone': said goodbye. */
  state: z.enum(['active', 'silent', 'gone']),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

export const agentsMethods = {
  'agents.createToken': method({
    input: z
      .object({
        sweepId: Id,
        label: z.string().trim().min(1).max(200).optional(),
        /** Also stop this machine from claiming the sweep's runs: only agents train them. */
        agentsOnly: z.boolean().default(false),
      })
      .strict(),
    output: z.object({ token: AgentToken, secret: z.string() }),
    summary: 'Makes an agent token for one sweep; its secret is shown this once (only its SHA-256 is kept).',
  }),
  'agents.browserGpuToken': method({
    input: z
      .object({
        /** The token's name in the page's language (the page's `a browser's GPU`); without it the core's English. */
        label: z.string().trim().min(1).max(200).optional(),
      })
      .strict()
      .default({}),
    output: z.object({ token: AgentToken, secret: z.string() }),
    summary:
      'Makes a token for this page\'s GPU host ("Train on this browser\'s GPU"): the agent.* methods for runs pinned to webgpu or webgl, any sweep or none; its secret is shown this once.',
  }),
  'agents.tokens': method({
    input: z.object({ sweepId: Id.optional() }).strict().default({}),
    output: z.array(AgentToken),
    summary: 'Agent tokens, without their secrets.',
  }),
  'agents.revokeToken': method({
    input: z.object({ id: Id }).strict(),
    output: z.object({ revoked: z.boolean() }),
    summary: 'Revokes an agent token: its agents are refused from their next call on.',
  }),
  'agents.list': method({
    input: z.object({ sweepId: Id.optional() }).strict().default({}),
    output: z.array(AgentInfo),
    summary: 'Agents that pulled runs (per sweep): host, job, backends, the run each holds, when last heard.',
  }),
};

export const agentsEvents = {
  /** An agent said hello, claimed, finished or said goodbye. */
  'agent.updated': AgentInfo,
};
