/**
 * The desktop GPU host's decisions, apart from Electron (gpuHostWindow.ts does the Electron part):
 * when the hidden window is wanted, how soon it may start again after its render process went
 * away, when it is idle enough to close, and which run it held, so that run fails through the
 * agent path (agent.finish) instead of waiting for its lease to lapse.
 */
import { AgentLease, type AgentOutcome } from '../core/contract/agents.ts';
import { coreText } from '../core/contract/coreText.ts';

/**
 * Whether a queued run with this backend wants the GPU host: a run pinned to webgpu or webgl
 * always; a run that pins none (or 'auto') only when the hidden window reported a hardware adapter
 * before (software adapters are never a GPU: autoBackend.ts).
 */
export function wantsGpuHost(backend: unknown, hardwareGpuSeen: boolean): boolean {
  if (backend === 'webgpu' || backend === 'webgl') return true;
  return hardwareGpuSeen && (backend === undefined || backend === null || backend === 'auto');
}

export interface RestartPolicyOptions {
  /** Delay before the first restart after a crash (ms). */
  firstDelayMs?: number;
  /** The longest delay (ms). */
  maxDelayMs?: number;
  /** A crash this long after the previous one starts the count again (ms). */
  calmMs?: number;
}

/**
 * How soon the window may start again after its render process went away: at once after one
 * crash, then 4× longer for each crash that follows within `calmMs` of the previous one, up to
 * `maxDelayMs`. A GPU that crashes every run fails one run per delay, not a loop of them.
 */
export class RestartPolicy {
  readonly #first: number;
  readonly #max: number;
  readonly #calm: number;
  #crashes = 0;
  #lastCrash = -Infinity;
  #notBefore = -Infinity;

  constructor(options: RestartPolicyOptions = {}) {
    this.#first = options.firstDelayMs ?? 2000;
    this.#max = options.maxDelayMs ?? 300_000;
    this.#calm = options.calmMs ?? 600_000;
    for (const [name, value] of Object.entries({ firstDelayMs: this.#first, maxDelayMs: this.#max, calmMs: this.#calm }))
      if (!Number.isInteger(value) || value < 0 || value > 86_400_000)
        throw new Error(`${name} must be a whole number of milliseconds from 0 to 86400000, not ${value}`);
  }

  /** Notes a crash at `now`; answers how long to wait before the window starts again (ms). */
  crashed(now: number): number {
    this.#crashes = now - this.#lastCrash > this.#calm ? 1 : this.#crashes + 1;
    this.#lastCrash = now;
    const delay = this.#crashes === 1 ? 0 : Math.min(this.#max, this.#first * 4 ** (this.#crashes - 2));
    this.#notBefore = now + delay;
    return delay;
  }

  /** Whether the window may start at `now`. */
  mayStart(now: number): boolean {
    return now >= this.#notBefore;
  }

  /** Milliseconds until it may (0 when it may now). */
  waitMs(now: number): number {
    return Math.max(0, this.#notBefore - now);
  }
}

/** When a window that got no run for `idleMs` is closed (its GPU memory and process freed). */
export class IdlePolicy {
  readonly #idleMs: number;
  #since: number | null = null;

  constructor(idleMs = 120_000) {
    if (!Number.isInteger(idleMs) || idleMs < 1000 || idleMs > 86_400_000)
      throw new Error(`idleMs must be a whole number of milliseconds from 1000 to 86400000, not ${idleMs}`);
    this.#idleMs = idleMs;
  }

  /** The window asked for a run at `now` and got one (or not). */
  claimed(gotRun: boolean, now: number): void {
    if (gotRun) this.#since = null;
    else this.#since ??= now;
  }

  /** The window (re)started: it has not been idle yet. */
  started(): void {
    this.#since = null;
  }

  shouldClose(now: number): boolean {
    return this.#since !== null && now - this.#since >= this.#idleMs;
  }
}

/** The run the window holds, learnt from the agent calls main forwards for it. */
export interface HeldRun {
  runId: number;
  lease: AgentLease;
  /** The last event the server has (the claim's recordedSeq, then each report's last). */
  lastSeq: number;
}

const leaseOf = (value: unknown): AgentLease | null => {
  const parsed = AgentLease.safeParse(value);
  return parsed.success ? parsed.data : null;
};
const sameLease = (a: AgentLease, b: AgentLease | null) =>
  b !== null && a.agentId === b.agentId && a.runId === b.runId && a.attempt === b.attempt;

/**
 * Follows the agent calls of the window (input and the service's answer, both already validated
 * by the service) to know which run it holds. Reads only what it needs, defensively: a call it
 * does not understand leaves the state as it was.
 */
export class HeldRunTracker {
  #held: HeldRun | null = null;

  get held(): HeldRun | null {
    return this.#held;
  }

  observe(method: string, input: unknown, output: unknown): void {
    if (method === 'agent.claim') {
      const job = (output as { job?: { runId?: unknown; lease?: unknown; recordedSeq?: unknown } | null } | null)?.job;
      const lease = leaseOf(job?.lease);
      if (job && lease && Number.isInteger(job.runId))
        this.#held = { runId: job.runId as number, lease, lastSeq: Number.isInteger(job.recordedSeq) ? (job.recordedSeq as number) : 0 };
      return;
    }
    const held = this.#held;
    if (!held) return;
    const body = input as { lease?: unknown; firstSeq?: unknown; events?: unknown; lastSeq?: unknown } | null;
    if (!sameLease(held.lease, leaseOf(body?.lease))) return;
    const reply = output as { held?: unknown } | null;
    if (method === 'agent.finish' || reply?.held === false) this.#held = null;
    else if (method === 'agent.report' && Number.isInteger(body?.firstSeq) && Array.isArray(body?.events) && body.events.length > 0)
      held.lastSeq = Math.max(held.lastSeq, (body.firstSeq as number) + body.events.length - 1);
  }

  /** Forgets the held run (after main failed it, or the window said bye). */
  clear(): void {
    this.#held = null;
  }
}

/** Electron's render-process-gone details, as far as they are read here. */
export interface GoneDetails {
  reason: string;
  exitCode: number;
}

/** The outcome main reports for the run the window held when its render process went away. */
export function goneOutcome(details: GoneDetails): AgentOutcome & { kind: 'failed' } {
  const why = `${details.reason.slice(0, 100)}, exit code ${details.exitCode}`;
  const error = `the desktop app's GPU host window stopped during the run (its render process is gone: ${why}); the window restarts for the next run`;
  return {
    kind: 'failed',
    error,
    errorText: coreText('gpu_failure_window_gone', { reason: details.reason.slice(0, 100), exitCode: details.exitCode }),
  };
}

/** The run a core event says was just queued ('run.updated' with status queued), or null. */
export function queuedRunOf(event: { name: string; payload: unknown }): number | null {
  if (event.name !== 'run.updated') return null;
  const payload = event.payload as { runId?: unknown; status?: unknown } | null;
  return payload?.status === 'queued' && Number.isInteger(payload.runId) && (payload.runId as number) > 0
    ? (payload.runId as number)
    : null;
}
