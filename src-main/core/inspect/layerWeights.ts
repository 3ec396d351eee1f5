import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LayerSpec, ModelSpec } from '../contract/training.ts';
import { coded } from '../errors.ts';

/**
 * A conv layer's kernel read straight from a checkpoint's files (model.json's weights manifest and
 * weights.bin), without tfjs: filters are bytes at an offset, and the service process reads them
 * in a few milliseconds where a model load would take a worker.
 */
export interface ConvKernel {
  kernelSize: number;
  inChannels: number;
  filters: number;
  /** [kernelSize, kernelSize, inChannels, filters], as tfjs and Keras hold a Conv2D kernel. */
  values: Float32Array;
}

const ManifestEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  quantization: z.unknown().optional(),
});
const ModelJson = z.object({ weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(ManifestEntry) })) });

const bytesPerValue: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Layers of a spec that own weights, in the order the built model lists them (the builder adds the softmax dense last). */
function weighted(layer: LayerSpec): boolean {
  return layer.type === 'conv2d' || layer.type === 'dense' || layer.type === 'batchNorm';
}

/**
 * The kernel of conv layer `layer` (an index into spec.layers). The manifest lists weights layer
 * by layer as `<layer name>/<weight>`: the n-th named layer there is the n-th layer of the spec
 * that owns weights, whatever tfjs numbered it in the process that saved it.
 */
export async function readConvKernel(dir: string, spec: ModelSpec, layer: number): Promise<ConvKernel> {
  const target = spec.layers[layer];
  if (!target)
    throw coded('invalid_input', `layer: the model has no layer ${layer} (it has ${spec.layers.length})`, 'error_inspect_no_layer', {
      layer,
      layers: spec.layers.length,
    });
  if (target.type !== 'conv2d')
    throw coded('invalid_input', `layer: layer ${layer} is ${target.type}, not conv2d`, 'error_inspect_not_conv', {
      layer,
      type: target.type,
    });
  const parsed = ModelJson.safeParse(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')));
  if (!parsed.success)
    throw coded('unavailable', `checkpoint ${dir}: model.json has no weights manifest`, 'checkpoint_no_manifest', { dir });
  const entries = parsed.data.weightsManifest.flatMap((group) => group.weights);
  const ordinal = spec.layers.slice(0, layer).filter(weighted).length;
  const layerNames: string[] = [];
  let offset = 0;
  let found: { offset: number; entry: z.infer<typeof ManifestEntry> } | null = null;
  for (const entry of entries) {
    const owner = entry.name.slice(0, entry.name.lastIndexOf('/'));
    if (layerNames.at(-1) !== owner) layerNames.push(owner);
    if (entry.quantization !== undefined || !(entry.dtype in bytesPerValue))
      throw coded(
        'unavailable',
        `checkpoint ${dir}: weight ${entry.name} is ${entry.dtype}${entry.quantization ? ' quantized' : ''}, not float32`,
        'checkpoint_weight_not_float32',
        { dir, weight: entry.name, dtype: `${entry.dtype}${entry.quantization ? ' quantized' : ''}` },
      );
    if (layerNames.length - 1 === ordinal && entry.name.endsWith('/kernel')) found = { offset, entry };
    offset += entry.shape.reduce((a, b) => a * b, 1) * bytesPerValue[entry.dtype]!;
  }
  if (!found)
    throw coded(
      'unavailable',
      `checkpoint ${dir}: no kernel for layer ${layer} (weighted layer ${ordinal}) in its manifest`,
      'checkpoint_no_kernel',
      {
        dir,
        layer,
        ordinal,
      },
    );
  const [k1, k2, inChannels, filters] = found.entry.shape;
  if (found.entry.shape.length !== 4 || k1 !== target.kernelSize || k2 !== target.kernelSize || filters !== target.filters) {
    throw coded(
      'conflict',
      `checkpoint ${dir}: layer ${layer}'s kernel is [${found.entry.shape.join(', ')}], the spec says ${target.kernelSize}×${target.kernelSize} with ${target.filters} filters`,
      'error_inspect_kernel_mismatch',
      { dir, layer, shape: found.entry.shape.join(', '), kernelSize: target.kernelSize, filters: target.filters },
    );
  }
  const bin = await readFile(join(dir, 'weights.bin'));
  const count = k1 * k2 * inChannels! * filters;
  if (bin.byteLength < found.offset + count * 4)
    throw coded('unavailable', `checkpoint ${dir}: weights.bin is shorter than its manifest`, 'checkpoint_weights_short', { dir });
  // A copy into its own aligned buffer: the file's Buffer may start at any byte of a shared pool.
  const values = new Float32Array(count);
  new Uint8Array(values.buffer).set(bin.subarray(found.offset, found.offset + count * 4));
  return { kernelSize: k1, inChannels: inChannels!, filters, values };
}
