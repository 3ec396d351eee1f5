import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelSpec, type ModelSpecInput, type ReceptiveField } from '../contract/training.ts';
import { summarizeModel } from './modelSummary.ts';
import { getPreset } from './presets.ts';
import { receptiveFields } from './receptiveField.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rf = (size: number, jump: number, start: number): ReceptiveField => ({ size, jump, start });

describe('receptive field', () => {
  it('LeNet-5 on 28×28, worked by hand: 5, 6, 14, 16 pixels', () => {
    // conv 5×5 valid: r = 1 + 4·1 = 5, j = 1, start = 0.5 + 2·1 = 2.5
    // pool 2 s2:      r = 5 + 1·1 = 6, j = 2, start = 2.5 + 0.5·1 = 3
    // conv 5×5 valid: r = 6 + 4·2 = 14, j = 2, start = 3 + 2·2 = 7
    // pool 2 s2:      r = 14 + 1·2 = 16, j = 4, start = 7 + 0.5·2 = 8
    expect(receptiveFields(getPreset('lenet5-relu').spec)).toEqual([
      rf(5, 1, 2.5),
      rf(6, 2, 3),
      rf(14, 2, 7),
      rf(16, 4, 8),
      null,
      null,
      null,
    ]);
    // The same layers on CIFAR-10's 32×32×3: valid padding does not depend on the image size.
    expect(receptiveFields(getPreset('lenet5-swish').spec).slice(0, 4)).toEqual([rf(5, 1, 2.5), rf(6, 2, 3), rf(14, 2, 7), rf(16, 4, 8)]);
  });

  it('AlexNet-28, worked by hand: 3×3 same convolutions grow the field by 2 jumps each, LRN keeps it', () => {
    // conv 3 same (pad 1): r 3, j 1, start 0.5 + (1 − 1)·1 = 0.5; lrn keeps it
    // pool 2: r 4, j 2, start 1;  conv 3 same: r 4 + 2·2 = 8, start 1;  lrn;  pool 2: r 10, j 4, start 2
    // conv ×3 (same): r 18, 26, 34 at j 4, start 2;  pool 2 (7 → 3): r 34 + 4 = 38, j 8, start 2 + 0.5·4 = 4
    expect(receptiveFields(getPreset('alexnet-28').spec)).toEqual([
      rf(3, 1, 0.5),
      rf(3, 1, 0.5),
      rf(4, 2, 1),
      rf(8, 2, 1),
      rf(8, 2, 1),
      rf(10, 4, 2),
      rf(18, 4, 2),
      rf(26, 4, 2),
      rf(34, 4, 2),
      rf(38, 8, 4),
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('two stacked 3×3 convolutions see as much as one 5×5', () => {
    const spec = (layers: ModelSpecInput['layers']) => ModelSpec.parse({ inputShape: [28, 28, 1], numClasses: 10, layers });
    const two = receptiveFields(
      spec([
        { type: 'conv2d', filters: 4, kernelSize: 3 },
        { type: 'conv2d', filters: 4, kernelSize: 3 },
      ]),
    );
    const one = receptiveFields(spec([{ type: 'conv2d', filters: 4, kernelSize: 5 }]));
    expect(two[1]).toEqual(one[0]);
  });

  it('is in every row of the model summary, null for flat layers and the output', () => {
    const summary = summarizeModel(getPreset('mnist-two-conv').spec);
    expect(summary.rows.map((r) => r.receptiveField?.size ?? null)).toEqual([3, 4, 8, 10, null, null, null, null]);
  });

  /**
   * The field a unit really has: with positive weights, linear activations and average pooling
   * (same geometry as max pooling), the input pixels whose gradient is not zero are exactly the
   * ones the unit sees.
   */
  function measuredField(spec: ModelSpec, layer: number, unit: number): { first: number; last: number } {
    const model = tfl.sequential();
    spec.layers.slice(0, layer + 1).forEach((l, i) => {
      const first = i === 0 ? { inputShape: spec.inputShape } : {};
      if (l.type === 'conv2d')
        model.add(
          tfl.layers.conv2d({
            ...first,
            filters: 2,
            kernelSize: l.kernelSize,
            strides: l.strides,
            padding: l.padding,
            kernelInitializer: 'ones',
            activation: 'linear',
          }),
        );
      else if (l.type === 'maxPool2d' || l.type === 'avgPool2d')
        model.add(tfl.layers.averagePooling2d({ ...first, poolSize: l.poolSize, strides: l.strides ?? l.poolSize, padding: l.padding }));
      else throw new Error(`not in this test: ${l.type}`);
    });
    const grad = tf.tidy(() => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(model.apply(x) as tf.Tensor4D, [0, unit, unit, 0], [1, 1, 1, 1])))(
        tf.ones([1, ...spec.inputShape]),
      );
      return tf.sum(g, [0, 2, 3]).arraySync() as number[];
    });
    model.dispose();
    const rows = grad.flatMap((g, i) => (g !== 0 ? [i] : []));
    return { first: rows[0]!, last: rows.at(-1)! };
  }

  it('agrees with the gradient of built models, strides 1–3, same and valid, kernels 2–7', () => {
    const cases: ModelSpecInput['layers'][] = [
      [
        { type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, padding: 'same' },
        { type: 'maxPool2d', poolSize: 3, strides: 2, padding: 'same' },
        { type: 'conv2d', filters: 2, kernelSize: 5, padding: 'valid' },
      ],
      [
        { type: 'conv2d', filters: 2, kernelSize: 7, strides: 3, padding: 'valid' },
        { type: 'conv2d', filters: 2, kernelSize: 2, strides: 1, padding: 'same' },
        { type: 'avgPool2d', poolSize: 2, padding: 'valid' },
      ],
      [
        { type: 'conv2d', filters: 2, kernelSize: 4, strides: 1, padding: 'same' },
        { type: 'conv2d', filters: 2, kernelSize: 3, strides: 3, padding: 'same' },
      ],
    ];
    for (const layers of cases) {
      const spec = ModelSpec.parse({ inputShape: [41, 41, 1], numClasses: 2, layers });
      const fields = receptiveFields(spec);
      const outputs = summarizeModel(ModelSpec.parse({ ...spec, layers: [...spec.layers, { type: 'flatten' }] })).rows;
      layers.forEach((_, layer) => {
        const field = fields[layer]!;
        // A unit in the middle, whose field lies inside the image (no padding cuts it).
        const unit = Math.floor(outputs[layer]!.outputShape[0]! / 2);
        const { first, last } = measuredField(spec, layer, unit);
        expect({ layer, size: last - first + 1, centre: (first + last + 1) / 2 }).toEqual({
          layer,
          size: field.size,
          centre: field.start + unit * field.jump,
        });
      });
    }
  });
});
