/**
 * What a checkpoint holds besides weights and optimizer slots: the training loop's own state
 * (checkpoint/state.json), enough to continue the run exactly. One schema, read in one place
 * (checkpointIO.readCheckpointState) by the loop that resumes and by main, which reports the
 * epochs it never recorded from `history`. No Node imports: the loop runs in a browser worker too.
 */
import { z } from 'zod';

/** One epoch's metrics by stored name (loss, val_accuracy, epoch_seconds, …); null: not measured. */
export const EpochLogs = z.record(z.string(), z.number().nullable());
export type EpochLogs = z.infer<typeof EpochLogs>;

/**
 * An epoch in the history: its number and its logs, flat. Checkpoints written before the logs
 * carried every metric hold only loss, accuracy, val_loss and val_accuracy; they read the same.
 */
const HistoryEntry = z
  .object({ epoch: z.number().int().positive() })
  .catchall(z.number().nullable())
  .transform(({ epoch, ...logs }) => ({ epoch, logs: logs as EpochLogs }));

export const CheckpointState = z.object({
  /** Epochs trained so far; the run continues with the next one. */
  epochsCompleted: z.number().int().nonnegative(),
  /** Training steps taken so far: the dropout masks of the next step depend on it. */
  globalStep: z.number().int().nonnegative(),
  history: z.array(HistoryEntry),
  /** The best value of the monitored metric so far, and its epoch (early stopping, the best checkpoint). */
  best: z.number().nullable(),
  bestEpoch: z.number().int().positive().nullable(),
  /** Epochs since the last improvement (early stopping's patience). */
  wait: z.number().int().nonnegative(),
  /** ReduceLROnPlateau's own watch and the rate it reached (learningRate.ts); absent without that schedule. */
  plateau: z
    .object({
      best: z.number().nullable(),
      wait: z.number().int().nonnegative(),
      cooldown: z.number().int().nonnegative(),
      learningRate: z.number().positive(),
    })
    .optional(),
  /**
   * The disk limit of the run's per-epoch weight snapshots (weightSnapshots.ts), fixed when the run
   * starts so that a resumed run keeps the epochs it planned; absent in checkpoints written before.
   */
  snapshotLimitBytes: z.number().int().nonnegative().optional(),
  /**
   * The epochs whose snapshots the run keeps, planned at its first epoch's end from the size of
   * one snapshot (which can differ by a few bytes in another process: tfjs numbers layer names per process).
   */
  snapshotEpochs: z.array(z.number().int().positive()).optional(),
});
export type CheckpointState = z.output<typeof CheckpointState>;

/** The state as state.json stores it: history entries flat, `{ epoch, loss, …, val_accuracy }`. */
export function checkpointStateJson(state: CheckpointState): unknown {
  return { ...state, history: state.history.map(({ epoch, logs }) => ({ epoch, ...logs })) };
}

export const freshState = (): CheckpointState => ({ epochsCompleted: 0, globalStep: 0, history: [], best: null, bestEpoch: null, wait: 0 });
