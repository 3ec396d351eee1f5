import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { KernelLabError } from '../errors.ts';
import { createService, type Service } from '../service.ts';

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

describe('training.* methods', () => {
  it('lists the five presets with their summaries', async () => {
    const presets = await service.call('training.presets', {});
    expect(presets.map((p) => p.id)).toEqual([
      'lenet5-swish',
      'lenet5-relu',
      'mnist-two-conv',
      'fashion-bn-dropout',
      'alexnet-28',
      'fashion-keras-tutorial',
      'mnist-tf1-deep',
      'lenet5-cifar10-keras',
    ]);
    const lenet = presets.find((p) => p.id === 'lenet5-relu')!;
    expect(lenet.summary.totalParams).toBe(44_426);
    expect(lenet.hyperparameters).toMatchObject({ optimizer: 'adam', learningRate: 1e-3, batchSize: 64 });
  });

  it('summarises a spec and refuses an impossible one with the layer and the formula', async () => {
    const summary = await service.call('training.summary', {
      spec: {
        inputShape: [28, 28, 1],
        numClasses: 10,
        layers: [{ type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', strides: 2 }, { type: 'flatten' }],
      },
    });
    expect(summary.rows.map((r) => r.outputShape)).toEqual([[14, 14, 8], [1568], [10]]);
    expect(summary.totalParams).toBe(3 * 3 * 8 + 8 + 1568 * 10 + 10);
    const refused = service.call('training.summary', {
      spec: { inputShape: [28, 28, 1], numClasses: 10, layers: [{ type: 'conv2d', filters: 8, kernelSize: 29 }, { type: 'flatten' }] },
    });
    await expect(refused).rejects.toThrow(KernelLabError);
    await expect(refused).rejects.toThrow('layers[0] (conv2d): height = floor((H + 2P − K) / S) + 1 = floor((28 + 0 − 29) / 1) + 1 = 0');
    await expect(service.call('training.summary', { spec: { inputShape: [28, 28], numClasses: 10, layers: [] } })).rejects.toThrow(
      'spec.inputShape',
    );
  });
});
