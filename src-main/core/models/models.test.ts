import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureGradients } from '../training/wasmKernels.ts';
import { buildModel } from './buildModel.ts';
import { BatchNorm } from './customLayers.ts';
import { ModelSpec, type ModelSpecInput } from '../contract/training.ts';
import { presets } from './presets.ts';
import { inferShapes } from './shapeInference.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectTableMatchesModel(spec: ModelSpec): void {
  const table = inferShapes(spec);
  const model = buildModel(spec, 7);
  try {
    expect(model.layers.length).toBe(table.rows.length);
    model.layers.forEach((layer, i) => {
      const shape = (layer.outputShape as (number | null)[]).slice(1);
      expect({ layer: i, shape, params: layer.countParams() }).toEqual({
        layer: i,
        shape: table.rows[i]!.outputShape,
        params: table.rows[i]!.params,
      });
    });
    expect(model.countParams()).toBe(table.totalParams);
  } finally {
    model.dispose();
  }
}

describe('shape inference', () => {
  for (const preset of presets) {
    it(`equals the built model's summary for ${preset.id}`, () => expectTableMatchesModel(preset.spec));
  }

  it('follows the same and valid rules for odd sizes and strides 1–4', () => {
    for (const padding of ['same', 'valid'] as const) {
      for (const strides of [1, 2, 3, 4]) {
        const spec = ModelSpec.parse({
          inputShape: [13, 11, 2],
          numClasses: 3,
          layers: [
            { type: 'conv2d', filters: 4, kernelSize: 3, strides, padding },
            { type: 'avgPool2d', poolSize: 2, strides: 1, padding },
            { type: 'flatten' },
          ],
        });
        expectTableMatchesModel(spec);
      }
    }
  });

  it('counts LeNet-5 on 28×28: 6@24×24 after the first conv, 44,426 parameters', () => {
    const table = inferShapes(presets.find((p) => p.id === 'lenet5-relu')!.spec);
    expect(table.rows[0]!.outputShape).toEqual([24, 24, 6]);
    expect(table.rows[3]!.outputShape).toEqual([4, 4, 16]);
    expect(table.totalParams).toBe(44_426);
  });

  const refuse =
    (layers: ModelSpecInput['layers'], inputShape: [number, number, number] = [28, 28, 1]) =>
    () =>
      inferShapes(ModelSpec.parse({ inputShape, numClasses: 10, layers }));

  it('refuses a kernel larger than its input with the layer index, formula and numbers', () => {
    expect(
      refuse([
        { type: 'conv2d', filters: 4, kernelSize: 5 },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'conv2d', filters: 4, kernelSize: 13 },
        { type: 'flatten' },
      ]),
    ).toThrow('layers[2] (conv2d): height = floor((H + 2P − K) / S) + 1 = floor((12 + 0 − 13) / 1) + 1 = 0');
  });

  it('refuses a shape that reaches zero through pooling', () => {
    expect(
      refuse([
        { type: 'maxPool2d', poolSize: 4 },
        { type: 'maxPool2d', poolSize: 4 },
        { type: 'maxPool2d', poolSize: 4 },
        { type: 'flatten' },
      ]),
    ).toThrow('layers[2] (maxPool2d): height = floor((H + 2P − K) / S) + 1 = floor((1 + 0 − 4) / 4) + 1 = 0');
  });

  it('refuses a dense layer before flatten and a conv after it', () => {
    expect(refuse([{ type: 'dense', units: 10 }])).toThrow(
      'layers[0] (dense): needs a flat input but gets [28, 28, 1]: add a flatten layer before it',
    );
    expect(refuse([{ type: 'flatten' }, { type: 'conv2d', filters: 2, kernelSize: 3 }])).toThrow(
      'layers[1] (conv2d): needs an image input',
    );
    expect(refuse([{ type: 'conv2d', filters: 2, kernelSize: 3 }])).toThrow('layers[1] (output)');
  });
});

describe("KernelLab's BatchNorm layer", () => {
  it("trains, updates its moving averages and predicts exactly as tfjs-layers' BatchNormalization on cpu", async () => {
    await ensureGradients();
    const make = (ours: boolean) => {
      const model = tfl.sequential();
      model.add(
        tfl.layers.conv2d({
          inputShape: [6, 6, 2],
          filters: 3,
          kernelSize: 3,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
        }),
      );
      model.add(ours ? new BatchNorm({ momentum: 0.9, epsilon: 1e-3 }) : tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }));
      model.add(tfl.layers.flatten());
      model.add(tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
      return model;
    };
    const ours = make(true);
    const theirs = make(false);
    expect(ours.weights.map((w) => w.shape)).toEqual(theirs.weights.map((w) => w.shape));
    const x = tf.randomNormal([5, 6, 6, 2], 1, 2, 'float32', 9);
    const target = tf.randomNormal([5, 4], 0, 1, 'float32', 10);
    for (const model of [ours, theirs]) {
      const optimizer = tf.train.sgd(0.1);
      for (let i = 0; i < 4; i++)
        optimizer.minimize(() => tf.mean(tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar);
      optimizer.dispose();
    }
    const values = (model: typeof ours) => model.getWeights().map((w) => Array.from(w.dataSync()));
    // gamma, beta, moving mean and variance included, in the same order.
    expect(values(ours)).toEqual(values(theirs));
    const predict = (model: typeof ours) => Array.from((model.predict(x) as tf.Tensor).dataSync());
    expect(predict(ours)).toEqual(predict(theirs));
    tf.dispose([x, target]);
    ours.dispose();
    theirs.dispose();
  });
});
