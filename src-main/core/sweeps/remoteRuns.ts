/**
 * Runs a remote executor (an agent, through the server) holds: the scheduler cannot stop them
 * itself, so a stop asked for one waits here until the agent's next report or heartbeat carries
 * it, and a run its sweep's pruner stopped ends pruned when the agent reports its end.
 */
import type { RunRecord, RunStore } from '../db/RunStore.ts';
import type { RunOutcome } from './execution.ts';
import type { PruneDecision } from './search/pruner.ts';
import { pruneDecision, searchOf } from './searchDriver.ts';

export type Pruned = Extract<PruneDecision, { prune: true }>;

/** At an epoch's end: the run's sweep's pruner decision to stop it, or null (no sweep, no pruner, or it goes on). */
export function pruneAt(store: RunStore, run: RunRecord, epoch: number): Pruned | null {
  if (run.sweepId === null) return null;
  const sweep = store.getSweep(run.sweepId);
  const search = sweep && searchOf(sweep);
  if (!search?.pruner) return null;
  const decision = pruneDecision(store, run, epoch, search);
  return decision.prune ? decision : null;
}

/**
 * The outcome of an execution its sweep's pruner stopped: pruned, unless it ended some other way
 * first (a failure, a divergence, a pause) — a run stopped on request reports canceled.
 */
export function prunedOutcome(pruned: Pruned | null, outcome: RunOutcome): RunOutcome {
  if (!pruned || (outcome.kind !== 'canceled' && outcome.kind !== 'completed')) return outcome;
  return { kind: 'pruned', reason: pruned.reason, reasonText: pruned.reasonText, epoch: pruned.epoch, rung: pruned.rung };
}

export class RemoteRuns {
  readonly #store: RunStore;
  /** Stops asked for runs that agents hold (by run id), until the agent settles them. */
  readonly #stops = new Map<number, 'cancel' | 'interrupt'>();
  /** Runs agents hold that their sweep's pruner stopped. */
  readonly #pruned = new Map<number, Pruned>();

  constructor(store: RunStore) {
    this.#store = store;
  }

  /** Asks for a stop; a cancel is never weakened to an interrupt. */
  stop(runId: number, mode: 'cancel' | 'interrupt'): void {
    if (mode === 'interrupt' && this.#stops.get(runId) === 'cancel') return;
    this.#stops.set(runId, mode);
  }

  /** The stop waiting for the agent that holds this run, if any. */
  stopFor(runId: number): 'cancel' | 'interrupt' | null {
    return this.#stops.get(runId) ?? null;
  }

  /** The agent reported epochs up to `epoch`: the sweep's pruner may stop the run (a cancel, ending pruned). */
  epochs(run: RunRecord, epoch: number): void {
    if (this.#pruned.has(run.id)) return;
    const pruned = pruneAt(this.#store, run, epoch);
    if (!pruned) return;
    this.#pruned.set(run.id, pruned);
    this.#stops.set(run.id, 'cancel');
  }

  /** The end the agent reported, as it is settled: pruned when its sweep's pruner stopped it. */
  outcome(runId: number, outcome: RunOutcome): RunOutcome {
    return prunedOutcome(this.#pruned.get(runId) ?? null, outcome);
  }

  /** The run was settled: nothing more waits for it. */
  forget(runId: number): void {
    this.#stops.delete(runId);
    this.#pruned.delete(runId);
  }
}
