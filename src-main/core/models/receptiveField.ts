import type { LayerSpec, ModelSpec, ReceptiveField } from '../contract/training.ts';
import { spatialOutput } from './shapeInference.ts';

/*
 * Where one output unit of a layer looks in the input image, along the height (kernels and
 * strides are square, and so are the datasets' images, so the width's field is the same):
 * - `size`: how many input pixels it sees (r);
 * - `jump`: how many input pixels apart two neighbouring units are (j);
 * - `start`: the input coordinate of the centre of the first unit's field, with input pixel i
 *   covering [i, i + 1) so its centre is i + 0.5 (a start below 0.5·size means the first unit's
 *   field hangs over the padding).
 */

/** The input image itself: each pixel sees itself. */
export const inputField: ReceptiveField = { size: 1, jump: 1, start: 0.5 };

/**
 * The standard recurrence (Dumoulin & Visin, "A guide to convolution arithmetic", and Araujo et
 * al., "Computing receptive fields of convolutional neural networks", Distill 2019), for a layer
 * with kernel k, stride s and p pixels of padding before the first input:
 *   j_out = j_in · s
 *   r_out = r_in + (k − 1) · j_in
 *   start_out = start_in + ((k − 1) / 2 − p) · j_in
 * so two stacked 3×3 convolutions see 5×5, as one 5×5 does.
 */
export function stepField(field: ReceptiveField, kernel: number, stride: number, padBefore: number): ReceptiveField {
  return {
    size: field.size + (kernel - 1) * field.jump,
    jump: field.jump * stride,
    start: field.start + ((kernel - 1) / 2 - padBefore) * field.jump,
  };
}

/**
 * The receptive field after each layer of a spec, in layer order; null from the first flatten
 * on (a flat unit sees the whole image). Layers that keep the spatial grid (batchNorm, lrn,
 * dropout, activation) keep their input's field. The spec must be one inferShapes accepts.
 */
export function receptiveFields(spec: ModelSpec): (ReceptiveField | null)[] {
  let field: ReceptiveField | null = inputField;
  let size = spec.inputShape[0];
  return spec.layers.map((layer: LayerSpec, index) => {
    if (field === null) return null;
    switch (layer.type) {
      case 'conv2d':
      case 'maxPool2d':
      case 'avgPool2d': {
        const kernel = layer.type === 'conv2d' ? layer.kernelSize : layer.poolSize;
        const stride = layer.type === 'conv2d' ? layer.strides : (layer.strides ?? layer.poolSize);
        const { out, padBefore } = spatialOutput(index, layer.type, 'height', size, kernel, stride, layer.padding);
        size = out;
        field = stepField(field, kernel, stride, padBefore);
        return field;
      }
      case 'batchNorm':
      case 'lrn':
      case 'dropout':
      case 'activation':
        return field;
      case 'flatten':
      case 'dense':
        field = null;
        return null;
      default: {
        const unknown: never = layer;
        throw new Error(`receptive field of an unknown layer ${JSON.stringify(unknown)}`);
      }
    }
  });
}
