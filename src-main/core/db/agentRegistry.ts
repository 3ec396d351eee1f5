/**
 * The store's side of remote agents (issue 15): sweep-scoped tokens kept as SHA-256 only, the
 * agents that said hello, the claim an agent makes, and per (run, attempt) how far its events are
 * recorded. RunStore builds one over its private handle (`store.agents`); SQL lives only here.
 *
 * An agent holds a run under the lease owner `agent:<id>` and the run's attempt, exactly like a
 * local worker holds it under `host:pid`: the same fencing (runLifecycle.holdLease), the same
 * finish (settle → RunStore.finishRun), the same recovery when its lease runs out
 * (RunStore.recoverInterrupted). Agents never count against this machine's worker budget: their
 * owner does not start with this host's prefix.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AgentInfo, AgentToken } from '../contract/agents.ts';
import { agentInfoOf, tokenOf, type AgentRow, type TokenRow } from './agentRows.ts';
import { GpuHostBackend, type RunBackend } from '../contract/app.ts';
import { coded, sweepNotFound } from '../errors.ts';
import type { SqliteDatabase } from './database.ts';
import { holdLease } from './runLifecycle.ts';
import { runReturning, runRowColumns, toRunRecord, type Lease, type RunDbRow, type RunRecord } from './records.ts';

type Write = <T>(doing: string, fn: () => T) => T;
type Read = <T>(doing: string, fn: () => T) => T;

/** The lease owner of an agent's runs. */
export const agentOwner = (agentId: string): string => `agent:${agentId}`;

/**
 * The most agents at work on one sweep at once (heard within a lease, not gone): far more than a
 * job array's concurrency, few enough that a token holder cannot fill the table with made-up ids.
 */
export const maxLiveAgents = 4096;
/** The most GPU-host tokens (one per page lending its GPU) live at once. */
export const maxGpuHostTokens = 16;
/** How often a token's last use is written (every agent call checks it); a token unused for a lease beyond this is abandoned. */
const tokenUseEveryMs = 5000;

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface AgentRecord {
  id: string;
  tokenId: number;
  /** Null: a browser GPU host, which claims runs pinned to webgpu or webgl in any sweep or none. */
  sweepId: number | null;
  backends: string[];
  maxRuns: number | null;
  runsClaimed: number;
  endedAt: number | null;
}

export interface NewAgent {
  id: string;
  host: string;
  job: string;
  version: string;
  backends: readonly RunBackend[];
  maxRuns: number | null;
}

export interface AgentClaim {
  run: RunRecord;
  lease: Lease;
  /** Events of this attempt already recorded (0 for a fresh claim). */
  recordedSeq: number;
  /** False: the agent already held this run (its claim was answered before and retried). */
  fresh: boolean;
}

/** What is known of one (run, attempt) an agent executed. */
export interface AgentExecution {
  runId: number;
  attempt: number;
  agentId: string;
  recordedSeq: number;
  endedAt: number | null;
  outcome: string | null;
}

export class AgentRegistry {
  readonly #db: SqliteDatabase;
  readonly #write: Write;
  readonly #read: Read;
  readonly #leaseMs: number;

  constructor(db: SqliteDatabase, write: Write, read: Read, leaseMs: number) {
    this.#db = db;
    this.#write = write;
    this.#read = read;
    this.#leaseMs = leaseMs;
  }

  // ── tokens ───────────────────────────────────────────────────────────────

  /**
   * A new token for one sweep, or (sweepId null) for a browser GPU host: the secret is returned
   * this once, only its SHA-256 is stored.
   */
  createToken(sweepId: number | null, label: string): { token: AgentToken; secret: string } {
    const secret = `kla_${randomBytes(32).toString('base64url')}`;
    const id = this.#write('making an agent token', () => {
      if (sweepId !== null && !this.#db.prepare('SELECT 1 FROM sweeps WHERE id = ?').get(sweepId)) throw sweepNotFound(sweepId);
      return Number(
        this.#db
          .prepare('INSERT INTO agent_tokens (sweep_id, label, secret_sha256, created_at) VALUES (?, ?, ?, ?)')
          .run(sweepId, label, sha256Hex(secret), Date.now()).lastInsertRowid,
      );
    });
    return { token: this.tokens().find((t) => t.id === id)!, secret };
  }

  /**
   * A token for one more page lending its GPU (agents.browserGpuToken). One is made per press of
   * the button, so they are bounded: tokens not used within a lease (their tab closed without
   * saying bye; a lending page calls every few seconds) are revoked first, and at most
   * maxGpuHostTokens stay live.
   */
  createGpuHostToken(label: string): { token: AgentToken; secret: string } {
    this.#write('revoking abandoned browser GPU tokens', () => {
      const now = Date.now();
      this.#db
        .prepare(
          `UPDATE agent_tokens SET revoked_at = @now
           WHERE sweep_id IS NULL AND revoked_at IS NULL AND coalesce(last_used_at, created_at) < @stale`,
        )
        .run({ now, stale: now - this.#leaseMs - tokenUseEveryMs });
      const live = this.#db
        .prepare('SELECT count(*) FROM agent_tokens WHERE sweep_id IS NULL AND revoked_at IS NULL')
        .pluck()
        .get() as number;
      if (live >= maxGpuHostTokens)
        throw coded(
          'too_large',
          `${live} browsers lend their GPU already (at most ${maxGpuHostTokens} GPU-host tokens); stop lending in another tab first`,
          'error_gpu_host_tokens_full',
          { live, limit: maxGpuHostTokens },
        );
    });
    return this.createToken(null, label);
  }

  tokens(sweepId?: number): AgentToken[] {
    return this.#read('listing agent tokens', () =>
      (
        this.#db
          .prepare(
            `SELECT id, sweep_id, label, created_at, revoked_at, last_used_at FROM agent_tokens
             WHERE @sweep IS NULL OR sweep_id = @sweep ORDER BY id`,
          )
          .all({ sweep: sweepId ?? null }) as TokenRow[]
      ).map(tokenOf),
    );
  }

  revokeToken(id: number): boolean {
    return this.#write(
      'revoking an agent token',
      () =>
        this.#db.prepare('UPDATE agent_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(Date.now(), id).changes === 1,
    );
  }

  /** The live token whose secret this is (looked up by its SHA-256), marked used; undefined when unknown or revoked. */
  tokenOfSecret(secret: string): AgentToken | undefined {
    const row = this.#read(
      'checking an agent token',
      () =>
        this.#db
          .prepare('SELECT id, sweep_id, label, created_at, revoked_at, last_used_at FROM agent_tokens WHERE secret_sha256 = ?')
          .get(sha256Hex(secret)) as TokenRow | undefined,
    );
    if (!row || row.revoked_at !== null) return undefined;
    const now = Date.now();
    // Written at most every few seconds: every agent call checks its token.
    if (row.last_used_at === null || now - row.last_used_at > tokenUseEveryMs)
      this.#write('marking an agent token used', () =>
        this.#db.prepare('UPDATE agent_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id),
      );
    return tokenOf(row);
  }

  // ── agents ───────────────────────────────────────────────────────────────

  /** Records an agent's hello (again, after a server restart: same id, same token). */
  hello(agent: NewAgent, token: { id: number; sweepId: number | null }): void {
    this.#write('recording an agent', () => {
      const existing = this.#agentRow(agent.id);
      if (existing && existing.token_id !== token.id)
        throw coded(
          'conflict',
          `agent id ${agent.id} is already used with another token; an agent makes a new id at start`,
          'error_agent_id_taken',
          { agent: agent.id },
        );
      const now = Date.now();
      if (!existing) {
        const live = this.#db
          .prepare('SELECT count(*) FROM agents WHERE sweep_id IS ? AND last_seen_at > ? AND ended_at IS NULL')
          .pluck()
          .get(token.sweepId, now - this.#leaseMs) as number;
        if (live >= maxLiveAgents)
          throw token.sweepId === null
            ? coded('too_large', `${live} browsers lend their GPU already (at most ${maxLiveAgents})`, 'error_gpu_hosts_full', {
                live,
                limit: maxLiveAgents,
              })
            : coded(
                'too_large',
                `sweep ${token.sweepId} has ${live} agents at work already (at most ${maxLiveAgents}); lower the job's concurrency`,
                'error_sweep_agents_full',
                { sweepId: token.sweepId, live, limit: maxLiveAgents },
              );
      }
      this.#db
        .prepare(
          `INSERT INTO agents (id, token_id, sweep_id, host, job, version, backends, max_runs, first_seen_at, last_seen_at)
           VALUES (@id, @token, @sweep, @host, @job, @version, @backends, @maxRuns, @now, @now)
           ON CONFLICT (id) DO UPDATE SET host = excluded.host, job = excluded.job, version = excluded.version,
             backends = excluded.backends, max_runs = excluded.max_runs, last_seen_at = excluded.last_seen_at,
             ended_at = NULL, end_reason = NULL`,
        )
        .run({
          id: agent.id,
          token: token.id,
          sweep: token.sweepId,
          host: agent.host,
          job: agent.job,
          version: agent.version,
          backends: JSON.stringify(agent.backends),
          maxRuns: agent.maxRuns,
          now,
        });
    });
  }

  #agentRow(id: string): { token_id: number } | undefined {
    return this.#db.prepare('SELECT token_id FROM agents WHERE id = ?').get(id) as { token_id: number } | undefined;
  }

  /** The agent with this id, if it said hello with this token. */
  agent(id: string, tokenId: number): AgentRecord | undefined {
    const row = this.#read(
      'reading an agent',
      () =>
        this.#db
          .prepare('SELECT id, token_id, sweep_id, backends, max_runs, runs_claimed, ended_at FROM agents WHERE id = ? AND token_id = ?')
          .get(id, tokenId) as
          Pick<AgentRow, 'id' | 'token_id' | 'sweep_id' | 'backends' | 'max_runs' | 'runs_claimed' | 'ended_at'> | undefined,
    );
    return (
      row && {
        id: row.id,
        tokenId: row.token_id,
        sweepId: row.sweep_id,
        backends: JSON.parse(row.backends) as string[],
        maxRuns: row.max_runs,
        runsClaimed: row.runs_claimed,
        endedAt: row.ended_at,
      }
    );
  }

  /** The agent was heard from now. */
  touch(id: string): void {
    this.#write('marking an agent heard', () => this.#db.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').run(Date.now(), id));
  }

  bye(id: string, reason: string): void {
    this.#write('recording an agent leaving', () =>
      this.#db
        .prepare('UPDATE agents SET ended_at = ?, end_reason = ?, last_seen_at = ? WHERE id = ?')
        .run(Date.now(), reason, Date.now(), id),
    );
  }

  /** Agents (of one sweep), newest first, with the run each holds now. */
  list(sweepId?: number): AgentInfo[] {
    return this.#infos('listing agents', 'WHERE @sweep IS NULL OR a.sweep_id = @sweep', { sweep: sweepId ?? null });
  }

  /** One agent as list() shows it (what agent.updated carries), without listing its sweep's others. */
  info(agentId: string): AgentInfo | undefined {
    return this.#infos('reading an agent', 'WHERE a.id = @id', { id: agentId })[0];
  }

  #infos(what: string, where: string, params: Record<string, unknown>): AgentInfo[] {
    const rows = this.#read(
      what,
      () =>
        this.#db
          .prepare(
            `SELECT a.*, (SELECT r.id FROM runs r WHERE r.status = 'running' AND r.worker_owner = 'agent:' || a.id LIMIT 1) AS run_id
             FROM agents a ${where} ORDER BY a.first_seen_at DESC, a.id`,
          )
          .all(params) as AgentRow[],
    );
    const now = Date.now();
    return rows.map((row) => agentInfoOf(row, now, this.#leaseMs));
  }

  // ── claims and executions ────────────────────────────────────────────────

  /**
   * The run this agent holds in its sweep, or the next runnable one (highest priority, then
   * oldest; its pinned backend, if any, must load on the agent), claimed under `agent:<id>` with a
   * new attempt; undefined when none may start. One transaction: two agents never get one run,
   * and a retried claim returns the held run instead of taking a second. A browser GPU host that
   * `auto` chose (`unpinned`: a hardware adapter, no CUDA GPU here) also takes runs that pin no
   * backend, single or of a running sweep that trains here.
   */
  claim(agent: AgentRecord, options: { unpinned?: boolean } = {}): AgentClaim | undefined {
    const owner = agentOwner(agent.id);
    return this.#write('claiming a run for an agent', () => {
      const now = Date.now();
      const held = this.#db
        .prepare(
          `SELECT ${runRowColumns('runs')} FROM runs WHERE status = 'running' AND worker_owner = @owner AND (@sweep IS NULL OR sweep_id = @sweep) ORDER BY id LIMIT 1`,
        )
        .get({ owner, sweep: agent.sweepId }) as RunDbRow | undefined;
      if (held) {
        const run = toRunRecord(held);
        const lease = { runId: run.id, owner, attempt: run.attempt };
        if (!holdLease(this.#db, lease, now + this.#leaseMs)) return undefined;
        return { run, lease, recordedSeq: this.#execution(run.id, run.attempt)?.recordedSeq ?? 0, fresh: false };
      }
      if (agent.maxRuns !== null && agent.runsClaimed >= agent.maxRuns) return undefined;
      const row = this.#db
        .prepare(
          `UPDATE runs SET status = 'running', worker_owner = @owner, worker_pid = NULL, lease_expires_at = @lease,
             attempt = attempt + 1, error = NULL, error_code = NULL, error_issues = NULL, started_at = coalesce(started_at, @now), updated_at = @now
           WHERE id = (SELECT r.id FROM runs r LEFT JOIN sweeps s ON s.id = r.sweep_id
                       WHERE r.status = 'queued' AND r.derived_from_run_id IS NULL AND r.reserved_for IS NULL
                         AND CASE WHEN @sweep IS NULL
                           -- A browser GPU host: only runs pinned to one of its backends, single or of a running sweep.
                           THEN (r.sweep_id IS NULL OR s.status = 'running')
                                AND ((json_extract(r.hyperparameters, '$.backend') IN (SELECT value FROM json_each(@backends))
                                      AND json_extract(r.hyperparameters, '$.backend') IN (SELECT value FROM json_each(@gpu)))
                                     OR (@unpinned AND json_extract(r.hyperparameters, '$.backend') IS NULL
                                         AND (r.sweep_id IS NULL OR s.runs_on = 'here')))
                           ELSE r.sweep_id = @sweep AND s.status = 'running'
                                AND (json_extract(r.hyperparameters, '$.backend') IS NULL
                                     OR json_extract(r.hyperparameters, '$.backend') IN (SELECT value FROM json_each(@backends)))
                         END
                       ORDER BY r.priority DESC, r.id LIMIT 1)
             AND status = 'queued'
           RETURNING ${runReturning}`,
        )
        .get({
          owner,
          lease: now + this.#leaseMs,
          now,
          sweep: agent.sweepId,
          backends: JSON.stringify(agent.backends),
          gpu: JSON.stringify(GpuHostBackend.options),
          unpinned: options.unpinned === true ? 1 : 0,
        }) as RunDbRow | undefined;
      if (!row) return undefined;
      const run = toRunRecord(row);
      this.#db
        .prepare('INSERT INTO agent_executions (run_id, attempt, agent_id, started_at) VALUES (?, ?, ?, ?)')
        .run(run.id, run.attempt, agent.id, now);
      this.#db.prepare('UPDATE agents SET runs_claimed = runs_claimed + 1, last_seen_at = ? WHERE id = ?').run(now, agent.id);
      return { run, lease: { runId: run.id, owner, attempt: run.attempt }, recordedSeq: 0, fresh: true };
    });
  }

  #execution(runId: number, attempt: number): AgentExecution | undefined {
    const row = this.#db
      .prepare('SELECT run_id, attempt, agent_id, recorded_seq, ended_at, outcome FROM agent_executions WHERE run_id = ? AND attempt = ?')
      .get(runId, attempt) as
      | { run_id: number; attempt: number; agent_id: string; recorded_seq: number; ended_at: number | null; outcome: string | null }
      | undefined;
    return (
      row && {
        runId: row.run_id,
        attempt: row.attempt,
        agentId: row.agent_id,
        recordedSeq: row.recorded_seq,
        endedAt: row.ended_at,
        outcome: row.outcome,
      }
    );
  }

  execution(runId: number, attempt: number): AgentExecution | undefined {
    return this.#read('reading an agent execution', () => this.#execution(runId, attempt));
  }

  /**
   * Records events `firstSeq … firstSeq + count - 1` of an execution exactly once, in one
   * transaction with the lease check: `apply(skip)` writes the events after the first `skip`
   * (those recorded by an earlier, repeated report). Returns held: false, writing nothing, when
   * the lease is gone.
   */
  recordEvents(lease: Lease, firstSeq: number, count: number, apply: (skip: number) => void): { held: boolean; recordedSeq: number } {
    return this.#write(`recording events of run ${lease.runId}`, () => {
      const execution = this.#execution(lease.runId, lease.attempt);
      if (!execution || !holdLease(this.#db, lease, Date.now() + this.#leaseMs))
        return { held: false, recordedSeq: execution?.recordedSeq ?? 0 };
      const recorded = execution.recordedSeq;
      this.#db.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').run(Date.now(), execution.agentId);
      if (firstSeq > recorded + 1)
        throw coded(
          'conflict',
          `events ${recorded + 1}…${firstSeq - 1} of run ${lease.runId} (attempt ${lease.attempt}) were never reported; report from ${recorded + 1}`,
          'error_agent_events_missing',
          { from: recorded + 1, to: firstSeq - 1, runId: lease.runId, attempt: lease.attempt },
        );
      const skip = Math.min(count, recorded + 1 - firstSeq);
      if (skip < count) {
        apply(skip);
        this.#db
          .prepare('UPDATE agent_executions SET recorded_seq = ? WHERE run_id = ? AND attempt = ?')
          .run(firstSeq + count - 1, lease.runId, lease.attempt);
      }
      return { held: true, recordedSeq: Math.max(recorded, firstSeq + count - 1) };
    });
  }

  /**
   * Ends an execution: `settle()` (the one place a run's end is decided) runs inside the same
   * transaction as the execution's outcome, so a finish repeated after a lost answer is known
   * for what it is. Returns the outcome recorded for this attempt, or null when the lease was
   * gone before the agent finished.
   */
  finish(lease: Lease, outcome: string, settle: () => boolean): { held: boolean; outcome: string | null } {
    return this.#write(`ending run ${lease.runId} for an agent`, () => {
      const execution = this.#execution(lease.runId, lease.attempt);
      if (!execution) return { held: false, outcome: null };
      if (execution.outcome !== null) return { held: true, outcome: execution.outcome };
      if (!settle()) return { held: false, outcome: null };
      this.#db
        .prepare('UPDATE agent_executions SET ended_at = ?, outcome = ? WHERE run_id = ? AND attempt = ?')
        .run(Date.now(), outcome, lease.runId, lease.attempt);
      return { held: true, outcome };
    });
  }

  /** Where a sweep's runs train: 'agents' keeps this machine's scheduler off them. */
  setRunsOn(sweepId: number, runsOn: 'here' | 'agents'): void {
    const changed = this.#write(
      'placing a sweep',
      () => this.#db.prepare('UPDATE sweeps SET runs_on = ? WHERE id = ?').run(runsOn, sweepId).changes,
    );
    if (changed === 0) throw sweepNotFound(sweepId);
  }

  /** The datasets a sweep's runs use. */
  datasetsOfSweep(sweepId: number): string[] {
    return this.#read(
      'reading the datasets of a sweep',
      () => this.#db.prepare('SELECT DISTINCT dataset FROM runs WHERE sweep_id = ? ORDER BY dataset').pluck().all(sweepId) as string[],
    );
  }
}
