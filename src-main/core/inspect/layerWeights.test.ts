import '@tensorflow/tfjs-backend-cpu';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import type { KernelLabError } from '../errors.ts';
import { decodeCheckpointState } from '../training/checkpointCodec.ts';
import { ModelSpec } from '../contract/training.ts';
import { buildModel } from '../models/buildModel.ts';
import { getPreset } from '../models/presets.ts';
import { loadCheckpointWeights, saveCheckpoint } from '../training/checkpointIO.ts';
import { freshState } from '../training/checkpointState.ts';
import { readConvKernel } from './layerWeights.ts';

const temp = makeTempDir('kernellab-filters-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => temp.cleanup());

// BatchNorm (four weights) and dense layers between convs, a conv without a pool after it: the
// reader must count owners of weights the way the built model lists them.
const mixed = ModelSpec.parse({
  name: 'mixed',
  inputShape: [32, 32, 3],
  numClasses: 10,
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 5, padding: 'same' },
    { type: 'batchNorm' },
    { type: 'conv2d', filters: 12, kernelSize: 3, strides: 2 },
    { type: 'lrn' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 64, kernelSize: 7, padding: 'same' },
    { type: 'flatten' },
    { type: 'dense', units: 16 },
  ],
});

describe('filters read from a checkpoint', () => {
  for (const spec of [mixed, getPreset('alexnet-28').spec, getPreset('lenet5-swish').spec]) {
    it(`equal the kernels tfjs holds, every conv layer of ${spec.name}`, async () => {
      const model = buildModel(spec, 11);
      const dir = join(temp.dir, spec.name);
      await saveCheckpoint(dir, model, tf.train.sgd(0.1), freshState());
      // And the weights a model loaded from that checkpoint holds: the file is what tfjs reads back.
      const loaded = buildModel(spec, 99);
      loadCheckpointWeights(dir, loaded);
      try {
        const convs = spec.layers.flatMap((l, i) => (l.type === 'conv2d' ? [i] : []));
        expect(convs.length).toBeGreaterThan(0);
        for (const index of convs) {
          const kernel = await readConvKernel(dir, spec, index);
          const held = model.layers[index]!.getWeights()[0]!;
          expect([kernel.kernelSize, kernel.kernelSize, kernel.inChannels, kernel.filters]).toEqual(held.shape);
          expect(kernel.values).toEqual(held.dataSync());
          expect(kernel.values).toEqual(loaded.layers[index]!.getWeights()[0]!.dataSync());
        }
      } finally {
        model.dispose();
        loaded.dispose();
      }
    });
  }

  it('refuses a layer that is not a conv, or not there, naming it', async () => {
    const spec = getPreset('lenet5-relu').spec;
    const model = buildModel(spec, 3);
    const dir = join(temp.dir, 'lenet');
    await saveCheckpoint(dir, model, tf.train.sgd(0.1), freshState());
    model.dispose();
    await expect(readConvKernel(dir, spec, 1)).rejects.toThrow('layer: layer 1 is maxPool2d, not conv2d');
    await expect(readConvKernel(dir, spec, 40)).rejects.toThrow('layer: the model has no layer 40 (it has 7)');
    // A spec that does not match the checkpoint (kernel 3 where 5 was trained) is a conflict, not garbage filters.
    const other = ModelSpec.parse({ ...spec, layers: spec.layers.map((l) => (l.type === 'conv2d' ? { ...l, kernelSize: 3 } : l)) });
    await expect(readConvKernel(dir, other, 0)).rejects.toThrow("layer 0's kernel is [5, 5, 1, 6], the spec says 3×3 with 6 filters");
  });

  it('says what is damaged in a checkpoint in Korean, the English as before: no manifest, a short weights.bin, a bad state.json', async () => {
    const spec = getPreset('lenet5-relu').spec;
    const model = buildModel(spec, 3);
    const dir = join(temp.dir, 'damaged');
    await saveCheckpoint(dir, model, tf.train.sgd(0.1), freshState());
    model.dispose();
    const refusal = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => null,
        (e: unknown) => e as KernelLabError,
      );
      if (!error) throw new Error('not refused');
      return { en: error.message, ko: errorBodyText(error.toBody(), 'ko') };
    };
    const bin = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'weights.bin'), bin.subarray(0, 100));
    expect(await refusal(readConvKernel(dir, spec, 0))).toEqual({
      en: `checkpoint ${dir}: weights.bin is shorter than its manifest`,
      ko: `체크포인트 ${dir}: weights.bin이 매니페스트보다 짧습니다`,
    });
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": {}}');
    expect(await refusal(readConvKernel(dir, spec, 0))).toEqual({
      en: `checkpoint ${dir}: model.json has no weights manifest`,
      ko: `체크포인트 ${dir}: model.json에 가중치 매니페스트가 없습니다`,
    });
    const state = await refusal(
      Promise.resolve().then(() => decodeCheckpointState(() => new TextEncoder().encode('{"epoch": "x"}'), 'run-1')),
    );
    expect(state.en).toMatch(/^checkpoint file run-1\/state\.json is not a KernelLab checkpoint state: /);
    expect(state.ko).toMatch(/^체크포인트 파일 run-1\/state\.json은\(는\) KernelLab 체크포인트 상태가 아닙니다: /);
    // Each zod issue in Korean after its field, no English left.
    expect(state.ko).toContain('epochsCompleted: 필수 항목입니다 (number); globalStep: 필수 항목입니다 (number)');
    expect(state.ko).not.toMatch(/expected|received|Invalid/);
    expect(state.en).toContain('epochsCompleted: Invalid input: expected number, received undefined; globalStep: ');
    const unreadable = await refusal(Promise.resolve().then(() => decodeCheckpointState(() => new TextEncoder().encode('{'), 'run-1')));
    expect(unreadable.ko).toMatch(/^체크포인트 파일 run-1\/state\.json을\(를\) 읽을 수 없습니다: /);
  });
});
