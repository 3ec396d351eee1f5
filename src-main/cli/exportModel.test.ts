import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../core/db/RunStore.ts';
import { ensureDataDir } from '../core/home.ts';
import { savedRun } from '../core/inspect/testing/savedRun.ts';
import { getPreset } from '../core/models/presets.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';

const tmp = makeTempDir('kernellab-cli-export-model-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => tmp.cleanup());

function kernellab(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', tmp.dir, ...args], { encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('kernellab runs export-model', () => {
  it("writes a run's best checkpoint as a model tfjs loads back with the same predictions, and the run's record beside it", async () => {
    const layout = ensureDataDir(tmp.dir);
    const store = RunStore.open(layout.database);
    const spec = getPreset('lenet5-relu').spec;
    const { runId, model } = await savedRun(store, layout.runs, spec, { epochs: 3, bestEpoch: 2, name: 'exported' });
    store.close();
    const out = join(tmp.dir, 'export');
    const result = kernellab('runs', 'export-model', String(runId), '--out', out);
    expect(result.err).toContain(`wrote model.json, weights.bin, run.json of run ${runId} (epoch 2, best) to ${out}`);
    expect(result.code).toBe(0);

    const loaded = await tfl.loadLayersModel(
      tf.io.fromMemory(
        JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).modelTopology,
        JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).weightsManifest[0].weights,
        new Uint8Array(readFileSync(join(out, 'weights.bin'))).buffer,
      ),
    );
    // savedRun's best checkpoint holds its model's seeded weights.
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 3);
    try {
      const want = (model.predict(x) as tf.Tensor).dataSync();
      const got = (loaded.predict(x) as tf.Tensor).dataSync();
      expect(Array.from(got).map((v, i) => Math.abs(v - want[i]!))).toSatisfy((d: number[]) => Math.max(...d) <= 1e-6);
    } finally {
      x.dispose();
      model.dispose();
      loaded.dispose();
    }
    const record = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runs: { name: string; hyperparameters: unknown }[] };
    expect(record.runs.map((r) => r.name)).toEqual(['exported']);

    const missing = kernellab('runs', 'export-model', String(runId + 1), '--out', out);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain(`run ${runId + 1}`);
  });

  it("refuses a model with local response normalisation (AlexNet-28) in the user's language, through the predictor", async () => {
    const layout = ensureDataDir(tmp.dir);
    const store = RunStore.open(layout.database);
    const { runId, model } = await savedRun(store, layout.runs, getPreset('alexnet-28').spec, { epochs: 1, bestEpoch: 1, name: 'alexnet' });
    model.dispose();
    store.close();
    const out = join(tmp.dir, 'alexnet-export');
    const en = kernellab('runs', 'export-model', String(runId), '--out', out);
    expect(en.code).toBe(2);
    expect(en.err).toMatch(
      /\(lrn\): local response normalisation has no Keras layer and no stock tfjs layer, so this model cannot be exported/,
    );
    const ko = kernellab('--lang', 'ko', 'runs', 'export-model', String(runId), '--out', out);
    expect(ko.code).toBe(2);
    expect(ko.err).toMatch(/\(lrn\): 국소 응답 정규화에는 Keras 레이어도 tfjs 기본 레이어도 없어/);
    expect(ko.err).not.toMatch(/local response|cannot be exported|replace lrn/);
  });
});
