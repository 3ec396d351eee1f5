import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../../contract/training.ts';
import type { RunStore } from '../../db/RunStore.ts';
import { runDirOf } from '../../home.ts';
import { buildModel } from '../../models/buildModel.ts';
import { saveCheckpoint } from '../../training/checkpointIO.ts';
import type { CheckpointState } from '../../training/checkpointState.ts';

/**
 * A recorded run whose best and last checkpoints hold a model of `spec` with seeded initial
 * weights, written by the trainer's own checkpoint writer, as a worker leaves them after `epochs`
 * epochs (best at `bestEpoch`). The caller's tfjs backend builds the model; the returned model is
 * the caller's to dispose.
 */
export async function savedRun(
  store: RunStore,
  runsDir: string,
  spec: ModelSpec,
  options: { seed?: number; epochs?: number; bestEpoch?: number; dataset?: string; name?: string } = {},
): Promise<{ runId: number; model: tfl.LayersModel; runDir: string }> {
  const { seed = 7, epochs = 2, bestEpoch = epochs } = options;
  const run = store.createRun({
    name: options.name ?? spec.name,
    modelSpec: spec,
    dataset: options.dataset ?? 'mnist',
    backend: 'cpu',
    seed,
    status: 'completed',
    hyperparameters: { epochs, learningRate: 0.001 },
  });
  const runDir = runDirOf({ runs: runsDir }, run.uuid);
  const model = buildModel(spec, seed);
  const optimizer = tf.train.sgd(0.01);
  const state = (epoch: number): CheckpointState => ({
    epochsCompleted: epoch,
    globalStep: epoch * 10,
    history: [],
    best: 0.5,
    bestEpoch,
    wait: 0,
  });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const kinds = epoch === bestEpoch ? (['best', 'last'] as const) : (['last'] as const);
    for (const kind of kinds) {
      const dir = join(runDir, 'checkpoints', kind);
      const files = await saveCheckpoint(dir, model, optimizer, state(epoch));
      store.addCheckpoint(run.id, { epoch, kind, path: dir, bytes: files.reduce((a, f) => a + f.bytes, 0), sha256: files[0]!.sha256 });
    }
  }
  optimizer.dispose();
  return { runId: run.id, model, runDir };
}
