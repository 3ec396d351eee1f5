import type { MethodOutput } from '../contract/index.ts';
import { coded } from '../errors.ts';
import { loadSplit } from './load.ts';
import { encodePng } from './png.ts';
import type { DatasetName, SplitName } from './registry.ts';

/**
 * Images of a dataset as PNG data URLs: the ones at `indices`, in that order (a run's worst
 * mistakes), or the first `perClass` of each class, sorted by class.
 */
export async function datasetSamples(
  root: string,
  name: DatasetName,
  split: SplitName,
  options: { perClass: number; indices?: number[] | undefined },
): Promise<MethodOutput<'datasets.samples'>> {
  const data = await loadSplit(root, name, split);
  const size = data.height * data.width * data.channels;
  const toPng = (i: number) =>
    `data:image/png;base64,${encodePng(data.images.subarray(i * size, (i + 1) * size), data.width, data.height, data.channels === 1 ? 1 : 3).toString('base64')}`;
  const shape = { name, classNames: data.classNames, height: data.height, width: data.width, channels: data.channels };
  const { indices, perClass } = options;
  if (indices) {
    const outside = indices.findIndex((i) => i >= data.count);
    if (outside >= 0) {
      // Reachable through the API (`kernellab call datasets.samples`), or a run's mistakes shown over a dataset replaced by a smaller one.
      throw coded(
        'invalid_input',
        `indices.${outside}: ${indices[outside]} is past the ${data.count} ${split} images of ${name}`,
        split === 'train' ? 'dataset_sample_past_train' : 'dataset_sample_past_test',
        { field: `indices.${outside}`, index: indices[outside]!, count: data.count, name },
      );
    }
    return { ...shape, samples: indices.map((i) => ({ index: i, label: data.labels[i]!, png: toPng(i) })) };
  }
  const taken = new Array<number>(data.classNames.length).fill(0);
  const samples: { index: number; label: number; png: string }[] = [];
  for (let i = 0; i < data.count && samples.length < perClass * data.classNames.length; i++) {
    const label = data.labels[i]!;
    if (taken[label]! >= perClass) continue;
    taken[label]!++;
    samples.push({ index: i, label, png: toPng(i) });
  }
  samples.sort((a, b) => a.label - b.label || a.index - b.index);
  return { ...shape, samples };
}
