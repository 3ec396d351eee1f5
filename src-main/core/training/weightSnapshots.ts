/**
 * Per-epoch weight snapshots (issue 17: filters "at any recorded checkpoint", a slider over
 * epochs). The best and last checkpoints are overwritten as training goes on, so on their own
 * they leave a run's weights at two epochs. This callback also keeps the model's weights
 * (model.json + weights.bin, no optimizer slots: nothing resumes from them) of chosen epochs,
 * within a disk limit per run: every epoch when they all fit, else evenly spaced epochs, the
 * first and the final one among them. The best and the last epoch always have weights besides,
 * in the best and last checkpoints, which the limit does not count.
 *
 * The plan is fixed at the first epoch's end by the run's epochs, the limit and the size of one
 * snapshot (the same for every epoch of a model), and kept in the checkpoint state with the limit:
 * it never has to delete a snapshot it wrote, and a resumed run writes the ones it planned. No Node
 * imports: the loop runs in a browser Web Worker too, where the store hands the files to main.
 */
import type { LoopContext, TrainingCallback } from './callbacks.ts';
import { encodeModelFiles, type CheckpointBlob } from './checkpointCodec.ts';
import type { EpochLogs } from './checkpointState.ts';

/** How many snapshots of `bytesEach` fit in `limitBytes`. */
export function snapshotCapacity(limitBytes: number, bytesEach: number): number {
  if (bytesEach <= 0) return 0;
  return Math.floor(limitBytes / bytesEach);
}

/**
 * The epochs (1…`epochs`) whose weights to keep when `capacity` snapshots fit: all of them when
 * they fit, else `capacity` epochs spread evenly from the first to the final one (the first alone
 * when one fits), ascending.
 */
export function snapshotEpochs(epochs: number, capacity: number): number[] {
  const count = Math.min(Math.max(0, Math.floor(capacity)), Math.max(0, Math.floor(epochs)));
  if (count === 0) return [];
  if (count === 1) return [1];
  if (count === epochs) return Array.from({ length: epochs }, (_, i) => i + 1);
  // Steps of (epochs - 1) / (count - 1) ≥ 1, so rounding never lands two picks on one epoch.
  return Array.from({ length: count }, (_, i) => 1 + Math.round((i * (epochs - 1)) / (count - 1)));
}

function bytesOf(files: readonly CheckpointBlob[]): number {
  return files.reduce((sum, f) => sum + f.bytes.byteLength, 0);
}

/**
 * Writes the planned epochs' snapshots through the run's CheckpointStore and tells main about
 * each (a 'checkpoint' message of kind 'epoch', recorded like the best and last ones). Sits
 * before Checkpointing: the epoch's snapshot is on disk before the last checkpoint that says the
 * epoch is done, so a run killed in between trains that epoch again and writes it again.
 */
export class WeightSnapshots implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #limitBytes: number;
  /** The run's plan (from its state when resumed); else known at the first epoch's end, from one snapshot's size. */
  #plan: ReadonlySet<number> | null = null;

  /** `limitBytes`: the run's limit when it starts fresh (a resumed run keeps the one in its state). */
  constructor(loop: LoopContext, limitBytes: number) {
    this.#loop = loop;
    this.#limitBytes = limitBytes;
  }

  onTrainBegin(): void {
    const { state } = this.#loop;
    state.snapshotLimitBytes ??= this.#limitBytes;
    if (state.snapshotEpochs) this.#plan = new Set(state.snapshotEpochs);
  }

  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    const { runId, state, monitor, model, checkpoints, emit, hyperparameters } = this.#loop;
    const limit = state.snapshotLimitBytes ?? this.#limitBytes;
    if (limit === 0 || (this.#plan !== null && !this.#plan.has(epoch))) return;
    const files = await encodeModelFiles(model);
    if (this.#plan === null) {
      state.snapshotEpochs = snapshotEpochs(hyperparameters.epochs, snapshotCapacity(limit, bytesOf(files)));
      this.#plan = new Set(state.snapshotEpochs);
    }
    if (!this.#plan.has(epoch)) return;
    const saved = await checkpoints.saveSnapshot(epoch, files);
    emit({
      type: 'checkpoint',
      runId,
      kind: 'epoch',
      epoch,
      dir: saved.dir,
      monitor,
      value: logs[monitor] ?? null,
      files: saved.files,
    });
  }
}
