/**
 * A run whose resume was refused for its checkpoint's state.json (a negative globalStep), stored
 * failed with that real refusal's coded problems (migration 0017), as a worker's outcome stores it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaseOf, RunStore } from '../core/db/RunStore.ts';
import type { KernelLabError } from '../core/errors.ts';
import { settle } from '../core/sweeps/execution.ts';
import { readCheckpointState } from '../core/training/checkpointIO.ts';

/** Writes the bad state.json under `checkpointDir`, stores the run in the database at `database`; its id and the state file. */
export function storeRefusedResume(database: string, checkpointDir: string): { id: number; state: string } {
  mkdirSync(checkpointDir, { recursive: true });
  const state = join(checkpointDir, 'state.json');
  writeFileSync(state, JSON.stringify({ epochsCompleted: 1, globalStep: -3, history: [], best: null, bestEpoch: null, wait: 0 }));
  let refusal: KernelLabError | undefined;
  try {
    readCheckpointState(checkpointDir);
  } catch (error) {
    refusal = error as KernelLabError;
  }
  if (!refusal) throw new Error('the bad state.json was read without a refusal');
  const store = RunStore.open(database);
  try {
    const id = store.createRun({
      name: 'lenet',
      modelSpec: { name: 'lenet', layers: [] },
      dataset: 'mnist',
      backend: 'wasm',
      seed: 1,
      hyperparameters: {},
    }).id;
    settle(store, leaseOf(store.claimNextRunnable('here:1')!), {
      kind: 'failed',
      error: refusal.message,
      errorText: refusal.text!,
      errorIssues: refusal.problemTexts()!,
    });
    return { id, state };
  } finally {
    store.close();
  }
}
