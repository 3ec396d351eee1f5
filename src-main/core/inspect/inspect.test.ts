import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { installFromFiles, loadSplit, mnistDataFiles } from '../datasets/index.ts';
import { summarizeModel } from '../models/modelSummary.ts';
import { getPreset } from '../models/presets.ts';
import { createService, type Service } from '../service.ts';
import { cachedModels, infer, loadedModels } from '../training/inference.ts';
import { recordedWeights } from './recordedWeights.ts';
import { savedRun } from './testing/savedRun.ts';

const temp = makeTempDir('kernellab-inspect-');
let service: Service;
let lenet: { runId: number; model: tfl.LayersModel };
let alexnet: { runId: number; model: tfl.LayersModel };
let untrained: number;
let cifar: number;
let firstTest: { image: Uint8Array; label: number };

const floats = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const input = (image: Uint8Array, shape: [number, number, number]) => tf.div(tf.tensor4d(image, [1, ...shape], 'float32'), 255);

beforeAll(async () => {
  await tf.setBackend('cpu');
  service = createService({ dataDir: temp.dir, shell: 'cli' });
  const { layout, store } = service.context;
  await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
  const test = await loadSplit(layout.datasets, 'mnist', 'test');
  firstTest = { image: test.images.slice(0, 784), label: test.labels[0]! };
  lenet = await savedRun(store, layout.runs, getPreset('lenet5-relu').spec, { epochs: 3, bestEpoch: 2 });
  alexnet = await savedRun(store, layout.runs, getPreset('alexnet-28').spec, { seed: 3 });
  untrained = store.createRun({
    name: 'queued',
    modelSpec: getPreset('lenet5-relu').spec,
    dataset: 'mnist',
    backend: 'cpu',
    seed: 1,
    hyperparameters: { epochs: 1 },
  }).id;
  cifar = (await savedRun(store, layout.runs, getPreset('lenet5-swish').spec, { dataset: 'cifar10' })).runId;
}, 120_000);
afterAll(async () => {
  await service?.close();
  lenet?.model.dispose();
  alexnet?.model.dispose();
  temp.cleanup();
});

describe('the warm predictor', () => {
  it("classifies one test image with several runs' checkpoints, each run answering or saying why not", { timeout: 60_000 }, async () => {
    const answer = await service.call('inspect.predict', { runIds: [lenet.runId, alexnet.runId, untrained], testIndex: 0 });
    const [a, b, c] = answer.runs;
    for (const [result, run] of [
      [a, lenet],
      [b, alexnet],
    ] as const) {
      if (!result?.ok) throw new Error(`expected an answer, got ${JSON.stringify(result)}`);
      expect(result.label).toBe(firstTest.label);
      expect(result.classNames).toHaveLength(10);
      // The predictor computes on wasm; this test's copy on cpu: the same numbers to float tolerance.
      const expected = tf.tidy(() => (run.model.predict(input(firstTest.image, [28, 28, 1])) as tf.Tensor).dataSync());
      result.probabilities.forEach((p, i) => expect(Math.abs(p - expected[i]!)).toBeLessThan(1e-5));
      expect(result.predicted).toBe(result.probabilities.indexOf(Math.max(...result.probabilities)));
    }
    expect(a).toMatchObject({ checkpoint: { epoch: 2, kind: 'best' } });
    expect(c).toEqual({
      runId: untrained,
      ok: false,
      error: `run ${untrained} has no checkpoint yet`,
      errorCode: { code: 'error_inspect_no_checkpoint_yet', params: { id: untrained } },
    });
  });

  it('stays up between calls, and a drawn image of the wrong size is refused for that run only', { timeout: 60_000 }, async () => {
    const pid = service.context.predictor.pid;
    expect(pid).toBeDefined();
    const drawn = new Array<number>(784).fill(0);
    for (let y = 4; y < 24; y++) drawn[y * 28 + 14] = 255;
    const answer = await service.call('inspect.predict', { runIds: [lenet.runId, cifar], image: drawn });
    expect(service.context.predictor.pid).toBe(pid);
    expect(answer.runs[0]).toMatchObject({ ok: true, label: null });
    expect(answer.runs[1]).toEqual({
      runId: cifar,
      ok: false,
      error: `image: 784 pixel values, run ${cifar}'s model takes 32×32×3 = 3072`,
      errorCode: {
        code: 'error_inspect_image_size',
        params: { values: 784, id: cifar, height: 32, width: 32, channels: 3, expected: 3072 },
      },
    });
    const refused = answer.runs[1]!;
    if (refused.ok) throw new Error('expected a refusal');
    expect(coreTextOf(refused.errorCode, refused.error, 'ko')).toBe(
      `image: 픽셀 값이 784개인데 실행 ${cifar}의 모델은 32×32×3 = 3,072개를 받습니다`,
    );
  });

  it("returns every conv and pooling layer's activations, shaped as the model summary says", { timeout: 60_000 }, async () => {
    const spec = getPreset('alexnet-28').spec;
    const answer = await service.call('inspect.featureMaps', { runIds: [alexnet.runId], testIndex: 0 });
    const run = answer.runs[0]!;
    if (!run.ok) throw new Error(run.error);
    const summary = summarizeModel(spec);
    const expectedLayers = spec.layers.flatMap((l, i) => (['conv2d', 'maxPool2d', 'avgPool2d'].includes(l.type) ? [i] : []));
    expect(run.layers.map((l) => l.index)).toEqual(expectedLayers);
    const probe = tfl.model({
      inputs: alexnet.model.inputs,
      outputs: expectedLayers.map((i) => alexnet.model.layers[i]!.output as tfl.SymbolicTensor),
    });
    const outputs = probe.predict(input(firstTest.image, [28, 28, 1])) as tf.Tensor[];
    run.layers.forEach((layer, i) => {
      expect(layer.shape).toEqual(summary.rows[layer.index]!.outputShape);
      const got = floats(layer.data);
      const want = outputs[i]!.dataSync();
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j]! - want[j]!) / Math.max(1, Math.abs(want[j]!)));
      expect(worst).toBeLessThan(1e-4);
      expect(layer.min).toBe(Math.min(...got));
      expect(layer.max).toBe(Math.max(...got));
    });
    tf.dispose(outputs);
  });

  it(
    'shows feature maps at any recorded epoch: the slider gets its stops, an unrecorded epoch is refused naming the field',
    { timeout: 60_000 },
    async () => {
      const best = await service.call('inspect.featureMaps', { runIds: [lenet.runId], testIndex: 0 });
      expect(best.runs[0]).toMatchObject({ ok: true, epochs: [2, 3], checkpoint: { epoch: 2, kind: 'best' } });
      const atThree = await service.call('inspect.featureMaps', { runIds: [lenet.runId, untrained], testIndex: 0, epoch: 3 });
      expect(atThree.runs[0]).toMatchObject({ ok: true, epochs: [2, 3], checkpoint: { epoch: 3, kind: 'last' } });
      expect(atThree.runs[1]).toMatchObject({ ok: false, error: `run ${untrained} has no checkpoint yet` });
      const atOne = await service.call('inspect.featureMaps', { runIds: [lenet.runId], testIndex: 0, epoch: 1 });
      expect(atOne.runs[0]).toEqual({
        runId: lenet.runId,
        ok: false,
        error: `epoch: run ${lenet.runId} has no weights recorded at epoch 1 (recorded: 2, 3)`,
        errorCode: { code: 'error_inspect_epoch_not_recorded', params: { id: lenet.runId, epoch: 1, recorded: '2, 3' } },
      });
      // The page shows that run's refusal in Korean, the field and the epochs as they are.
      const refused = atOne.runs[0]!;
      if (refused.ok) throw new Error('expected a refusal');
      expect(coreTextOf(refused.errorCode, refused.error, 'ko')).toBe(
        `epoch: 실행 ${lenet.runId}에는 에폭 1의 가중치가 기록되어 있지 않습니다(기록된 에폭: 2, 3)`,
      );
      for (const epoch of [0, 1.5, 1_000_001])
        await expect(service.call('inspect.featureMaps', { runIds: [lenet.runId], testIndex: 0, epoch }), String(epoch)).rejects.toThrow(
          /input for inspect\.featureMaps: epoch: /,
        );
      // Predictions carry no slider stops: their answer is unchanged.
      const predicted = await service.call('inspect.predict', { runIds: [lenet.runId], testIndex: 0 });
      expect(predicted.runs[0]).not.toHaveProperty('epochs');
    },
  );

  it('reads the filters of a conv layer at the best checkpoint or any recorded epoch', async () => {
    const answer = await service.call('inspect.filters', { runIds: [lenet.runId, alexnet.runId, untrained], layer: 0 });
    const [a, b, c] = answer.runs;
    if (!a?.ok || !b?.ok) throw new Error('expected filters');
    expect(a).toMatchObject({ layer: 0, kernelSize: 5, inChannels: 1, filters: 6, epochs: [2, 3], checkpoint: { epoch: 2, kind: 'best' } });
    expect(floats(a.weights)).toEqual(lenet.model.layers[0]!.getWeights()[0]!.dataSync());
    expect(floats(b.weights)).toEqual(alexnet.model.layers[0]!.getWeights()[0]!.dataSync());
    expect(c).toMatchObject({ ok: false, error: `run ${untrained} has no checkpoint yet` });
    const atThree = await service.call('inspect.filters', { runIds: [lenet.runId], layer: 2, epoch: 3 });
    expect(atThree.runs[0]).toMatchObject({ ok: true, kernelSize: 5, inChannels: 6, filters: 16, checkpoint: { epoch: 3, kind: 'last' } });
    const notConv = await service.call('inspect.filters', { runIds: [lenet.runId], layer: 1 });
    expect(notConv.runs[0]).toMatchObject({ ok: false, error: 'layer: layer 1 is maxPool2d, not conv2d' });
    const notConvRun = notConv.runs[0]!;
    if (notConvRun.ok) throw new Error('expected a refusal');
    expect(coreTextOf(notConvRun.errorCode, notConvRun.error, 'ko')).toBe('layer: 층 1은(는) conv2d가 아니라 maxPool2d입니다');
    if (c?.ok !== false) throw new Error('expected a refusal');
    expect(coreTextOf(c.errorCode, c.error, 'ko')).toBe(`실행 ${untrained}에는 아직 체크포인트가 없습니다`);
  });

  it('starts a new process after the predictor dies, and runs.predict keeps its errors', { timeout: 60_000 }, async () => {
    const before = service.context.predictor.pid!;
    process.kill(before, 'SIGKILL');
    await expect.poll(() => service.context.predictor.pid, { timeout: 10_000 }).toBeUndefined();
    const again = await service.call('runs.predict', { runId: lenet.runId, testIndex: 0 });
    expect(again).toMatchObject({ runId: lenet.runId, checkpoint: 'best', label: firstTest.label });
    expect(service.context.predictor.pid).not.toBe(before);
    await expect(service.call('runs.predict', { runId: untrained, testIndex: 0 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.call('runs.predict', { runId: 999_999, image: [0] })).rejects.toThrow('run 999999 does not exist');
    await expect(service.call('inspect.predict', { runIds: [lenet.runId] })).rejects.toThrow('give either image (pixels) or testIndex');
  });
});

describe('the predictor cache', () => {
  it(`keeps the ${cachedModels} most recently used models loaded and loads an evicted one again`, async () => {
    const image = firstTest.image;
    const spec = getPreset('lenet5-relu').spec;
    const dir = `${temp.dir}/runs`;
    const { store } = service.context;
    const checkpointDir = recordedWeights(store.checkpointsOf(lenet.runId), dir)[0]!.dir;
    const ask = (key: string) => infer({ type: 'infer', id: 1, featureMaps: false, models: [{ key, spec, checkpointDir, image }] }, 'cpu');
    for (let i = 0; i <= cachedModels; i++) expect(ask(`model ${i}`).results[0]!.ok).toBe(true);
    expect(loadedModels()).toBe(cachedModels);
    const tensors = tf.memory().numTensors;
    expect(ask('model 0').results[0]!.ok).toBe(true);
    // Loading model 0 again evicted model 1 and freed its weights: as many tensors as before.
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
