import { coded } from '../errors.ts';
import type { z } from 'zod';
import type { coreTextParams, CoreTextCode } from '../contract/coreText.ts';
import type { LayerSpec, ModelSpec, Padding } from '../contract/training.ts';

/** One row of a model summary, computed from the spec before any tensor exists. */
export interface LayerRow {
  /** Index into spec.layers; the appended softmax output has index spec.layers.length. */
  index: number;
  type: LayerSpec['type'] | 'output';
  /** Output shape without the batch dimension. */
  outputShape: number[];
  params: number;
  trainableParams: number;
  /** Forward-pass floating point operations for one image (a multiply-add counts 2). */
  flops: number;
}

export interface ModelSummary {
  rows: LayerRow[];
  totalParams: number;
  trainableParams: number;
  /** Forward FLOPs per image; training costs about three times this. */
  forwardFlops: number;
}

interface SpatialResult {
  out: number;
  padBefore: number;
}

/** The layer's refusal, `layers[i] (type): …` in every language: the model builder marks the row it names. */
type ShapeCode = Extract<CoreTextCode, `model_${string}`>;
function refuse<C extends ShapeCode>(
  index: number,
  type: string,
  detail: string,
  code: C,
  params: Omit<z.infer<(typeof coreTextParams)[C]>, 'index' | 'type'>,
): never {
  const text = { index, type, ...params } as z.infer<(typeof coreTextParams)[C]>;
  throw coded('invalid_input', `layers[${index}] (${type}): ${detail}`, code, text);
}

/**
 * out = floor((H + 2P − K) / S) + 1 for 'valid' (P = 0); for 'same' out = ceil(H / S) and the
 * total padding is max((out − 1)·S + K − H, 0), split with the extra pixel after (TensorFlow's rule).
 */
export function spatialOutput(
  index: number,
  type: string,
  axis: string,
  size: number,
  kernel: number,
  stride: number,
  padding: Padding,
): SpatialResult {
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kernel - size, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  const out = Math.floor((size - kernel) / stride) + 1;
  if (kernel > size || out <= 0) {
    refuse(
      index,
      type,
      `${axis} = floor((H + 2P − K) / S) + 1 = floor((${size} + 0 − ${kernel}) / ${stride}) + 1 = ${out}: ` +
        `the ${kernel}×${kernel} window is larger than its ${size}-pixel input (padding 'valid'); use padding 'same' or a smaller kernel`,
      'model_window_too_large',
      { axis, size, kernel, stride, out },
    );
  }
  return { out, padBefore: 0 };
}

/** Output shape, parameters and FLOPs of every layer, including the softmax output the builder appends. */
export function inferShapes(spec: ModelSpec): ModelSummary {
  let shape: number[] = [...spec.inputShape];
  const rows: LayerRow[] = [];
  spec.layers.forEach((layer, index) => {
    const step = layerStep(index, layer, shape);
    shape = step.shape;
    for (const size of shape) {
      if (size <= 0)
        refuse(index, layer.type, `output shape [${shape.join(', ')}] reaches zero`, 'model_shape_zero', { shape: shape.join(', ') });
    }
    rows.push({
      index,
      type: layer.type,
      outputShape: [...shape],
      params: step.params,
      trainableParams: step.trainable,
      flops: step.flops,
    });
  });
  rows.push(outputRow(spec, shape));
  return {
    rows,
    totalParams: rows.reduce((a, r) => a + r.params, 0),
    trainableParams: rows.reduce((a, r) => a + r.trainableParams, 0),
    forwardFlops: rows.reduce((a, r) => a + r.flops, 0),
  };
}

/** What one layer does to the shape it is given: its output shape, parameters (all, trainable) and forward FLOPs. */
interface LayerStep {
  shape: number[];
  params: number;
  trainable: number;
  flops: number;
}

function layerStep(index: number, layer: LayerSpec, shape: number[]): LayerStep {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  switch (layer.type) {
    case 'conv2d': {
      const [h, w, c] = needImage(index, layer.type, shape);
      const k = layer.kernelSize;
      const oh = spatialOutput(index, layer.type, 'height', h, k, layer.strides, layer.padding).out;
      const ow = spatialOutput(index, layer.type, 'width', w, k, layer.strides, layer.padding).out;
      const params = k * k * c * layer.filters + (layer.useBias ? layer.filters : 0);
      return { shape: [oh, ow, layer.filters], params, trainable: params, flops: 2 * oh * ow * layer.filters * k * k * c };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [h, w, c] = needImage(index, layer.type, shape);
      const k = layer.poolSize;
      const s = layer.strides ?? k;
      const oh = spatialOutput(index, layer.type, 'height', h, k, s, layer.padding).out;
      const ow = spatialOutput(index, layer.type, 'width', w, k, s, layer.padding).out;
      return { shape: [oh, ow, c], params: 0, trainable: 0, flops: oh * ow * c * k * k };
    }
    case 'batchNorm': {
      const channels = shape[shape.length - 1]!;
      // gamma, beta (trained) and moving mean, moving variance (not trained), as Keras counts them.
      return { shape, params: 4 * channels, trainable: 2 * channels, flops: 2 * size(shape) };
    }
    case 'lrn': {
      const [h, w, c] = needImage(index, layer.type, shape);
      return { shape, params: 0, trainable: 0, flops: h * w * c * (2 * layer.depthRadius + 1 + 4) };
    }
    case 'dropout':
      return { shape, params: 0, trainable: 0, flops: 0 };
    case 'activation':
      return { shape, params: 0, trainable: 0, flops: size(shape) };
    case 'flatten':
      needImage(index, layer.type, shape);
      return { shape: [size(shape)], params: 0, trainable: 0, flops: 0 };
    case 'dense': {
      const n = needFlat(index, layer.type, shape);
      const params = n * layer.units + (layer.useBias ? layer.units : 0);
      return { shape: [layer.units], params, trainable: params, flops: 2 * n * layer.units };
    }
    default: {
      const unknown: never = layer;
      throw new Error(`unknown layer ${JSON.stringify(unknown)}`);
    }
  }
}

function needImage(index: number, type: string, shape: number[]): [number, number, number] {
  if (shape.length !== 3)
    refuse(
      index,
      type,
      `needs an image input [height, width, channels] but gets a flat vector of ${shape[0]} after flatten`,
      'model_needs_image',
      {
        size: shape[0]!,
      },
    );
  return shape as [number, number, number];
}

function needFlat(index: number, type: string, shape: number[]): number {
  if (shape.length !== 1)
    refuse(index, type, `needs a flat input but gets [${shape.join(', ')}]: add a flatten layer before it`, 'model_needs_flat', {
      shape: shape.join(', '),
    });
  return shape[0]!;
}

/** The softmax output the builder appends after the last layer. */
function outputRow(spec: ModelSpec, shape: number[]): LayerRow {
  const outputIndex = spec.layers.length;
  if (shape.length !== 1) {
    refuse(
      outputIndex,
      'output',
      `the softmax output needs a flat input but gets [${shape.join(', ')}]: end the layers with flatten (and dense)`,
      'model_output_needs_flat',
      { shape: shape.join(', ') },
    );
  }
  const n = shape[0]!;
  const outParams = n * spec.numClasses + (spec.output.useBias ? spec.numClasses : 0);
  return {
    index: outputIndex,
    type: 'output',
    outputShape: [spec.numClasses],
    params: outParams,
    trainableParams: outParams,
    flops: 2 * n * spec.numClasses,
  };
}
