import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { installFromFiles, mnistDataFiles } from '../datasets/index.ts';
import { getPreset } from '../models/presets.ts';
import { createService, type Service } from '../service.ts';
import { startRun } from './runController.ts';
import { TrainRequest } from './workerProtocol.ts';

let service: Service;
let temp: { dir: string; cleanup: () => void };
beforeAll(() => {
  temp = makeTempDir();
  service = createService({ dataDir: temp.dir, shell: 'cli' });
});
afterAll(async () => {
  await service.close();
  temp.cleanup();
});

describe('runs.predict', () => {
  it("classifies a test image with a run's best checkpoint, in the warm predictor", { timeout: 120_000 }, async () => {
    const { layout, store } = service.context;
    await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
    const preset = getPreset('lenet5-relu');
    const hyperparameters = { ...preset.hyperparameters, epochs: 1, backend: 'wasm' as const };
    const run = store.createRun({
      name: 'predict me',
      modelSpec: preset.spec,
      dataset: 'mnist',
      backend: 'wasm',
      seed: 42,
      hyperparameters,
    });
    await expect(service.call('runs.predict', { runId: run.id, testIndex: 0 })).rejects.toThrow(`run ${run.id} has no checkpoint yet`);

    const handle = startRun(
      service.context.launchWorker,
      service.context.workerEntry,
      TrainRequest.parse({
        type: 'train',
        runId: run.id,
        spec: preset.spec,
        hyperparameters,
        datasetsDir: layout.datasets,
        dataset: 'mnist',
        runDir: join(layout.runs, run.uuid),
        subset: { trainPerClass: 300, testPerClass: 10 },
      }),
      { onMessage: () => {} },
    );
    expect((await handle.done).status).toBe('completed');

    const results = [];
    for (let testIndex = 0; testIndex < 6; testIndex++) results.push(await service.call('runs.predict', { runId: run.id, testIndex }));
    for (const r of results) {
      expect(r.checkpoint).toBe('best');
      expect(r.probabilities).toHaveLength(10);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(r.className).toBe(String(r.predicted));
    }
    // About 90% after one epoch on 2,700 images: most of the first six test digits come out right.
    expect(results.filter((r) => r.predicted === r.label).length).toBeGreaterThanOrEqual(4);

    const blank = await service.call('runs.predict', { runId: run.id, image: new Array(784).fill(0) });
    expect(blank.label).toBeNull();
    await expect(service.call('runs.predict', { runId: run.id, image: [1, 2, 3] })).rejects.toThrow(
      `image: 3 pixel values, run ${run.id}'s model takes 28×28×1 = 784`,
    );
    await expect(service.call('runs.predict', { runId: run.id })).rejects.toThrow('give either image or testIndex');
    await expect(service.call('runs.predict', { runId: 999_999, testIndex: 0 })).rejects.toThrow('run 999999 does not exist');
  });
});
