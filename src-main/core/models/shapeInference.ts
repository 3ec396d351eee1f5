import { KernelLabError } from '../errors.ts';
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

function refuse(index: number, type: string, detail: string): never {
  throw new KernelLabError('invalid_input', `layers[${index}] (${type}): ${detail}`);
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
    );
  }
  return { out, padBefore: 0 };
}

/** Output shape, parameters and FLOPs of every layer, including the softmax output the builder appends. */
export function inferShapes(spec: ModelSpec): ModelSummary {
  let shape: number[] = [...spec.inputShape];
  const rows: LayerRow[] = [];
  const needImage = (index: number, type: string): [number, number, number] => {
    if (shape.length !== 3)
      refuse(index, type, `needs an image input [height, width, channels] but gets a flat vector of ${shape[0]} after flatten`);
    return shape as [number, number, number];
  };
  const needFlat = (index: number, type: string): number => {
    if (shape.length !== 1) refuse(index, type, `needs a flat input but gets [${shape.join(', ')}]: add a flatten layer before it`);
    return shape[0]!;
  };

  spec.layers.forEach((layer, index) => {
    let params = 0;
    let trainable = 0;
    let flops = 0;
    switch (layer.type) {
      case 'conv2d': {
        const [h, w, c] = needImage(index, layer.type);
        const k = layer.kernelSize;
        const oh = spatialOutput(index, layer.type, 'height', h, k, layer.strides, layer.padding).out;
        const ow = spatialOutput(index, layer.type, 'width', w, k, layer.strides, layer.padding).out;
        params = k * k * c * layer.filters + (layer.useBias ? layer.filters : 0);
        trainable = params;
        flops = 2 * oh * ow * layer.filters * k * k * c;
        shape = [oh, ow, layer.filters];
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const [h, w, c] = needImage(index, layer.type);
        const k = layer.poolSize;
        const s = layer.strides ?? k;
        const oh = spatialOutput(index, layer.type, 'height', h, k, s, layer.padding).out;
        const ow = spatialOutput(index, layer.type, 'width', w, k, s, layer.padding).out;
        flops = oh * ow * c * k * k;
        shape = [oh, ow, c];
        break;
      }
      case 'batchNorm': {
        const channels = shape[shape.length - 1]!;
        // gamma, beta (trained) and moving mean, moving variance (not trained), as Keras counts them.
        params = 4 * channels;
        trainable = 2 * channels;
        flops = 2 * shape.reduce((a, b) => a * b, 1);
        break;
      }
      case 'lrn': {
        const [h, w, c] = needImage(index, layer.type);
        flops = h * w * c * (2 * layer.depthRadius + 1 + 4);
        break;
      }
      case 'dropout':
        break;
      case 'activation':
        flops = shape.reduce((a, b) => a * b, 1);
        break;
      case 'flatten': {
        needImage(index, layer.type);
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      }
      case 'dense': {
        const n = needFlat(index, layer.type);
        params = n * layer.units + (layer.useBias ? layer.units : 0);
        trainable = params;
        flops = 2 * n * layer.units;
        shape = [layer.units];
        break;
      }
      default: {
        const unknown: never = layer;
        throw new Error(`unknown layer ${JSON.stringify(unknown)}`);
      }
    }
    for (const size of shape) {
      if (size <= 0) refuse(index, layer.type, `output shape [${shape.join(', ')}] reaches zero`);
    }
    rows.push({ index, type: layer.type, outputShape: [...shape], params, trainableParams: trainable, flops });
  });

  const outputIndex = spec.layers.length;
  if (shape.length !== 1) {
    refuse(
      outputIndex,
      'output',
      `the softmax output needs a flat input but gets [${shape.join(', ')}]: end the layers with flatten (and dense)`,
    );
  }
  const n = shape[0]!;
  const outParams = n * spec.numClasses + (spec.output.useBias ? spec.numClasses : 0);
  rows.push({
    index: outputIndex,
    type: 'output',
    outputShape: [spec.numClasses],
    params: outParams,
    trainableParams: outParams,
    flops: 2 * n * spec.numClasses,
  });
  return {
    rows,
    totalParams: rows.reduce((a, r) => a + r.params, 0),
    trainableParams: rows.reduce((a, r) => a + r.trainableParams, 0),
    forwardFlops: rows.reduce((a, r) => a + r.flops, 0),
  };
}
