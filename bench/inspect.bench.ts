/**
 * Looking inside runs (issue 17): a 64-filter layer of 10 runs side by side, the feature maps of
 * one image through AlexNet-28 with a warm predictor, and "try it" for 10 runs after the first
 * call. Through the service's own API (in process, no HTTP), with checkpoints written by the
 * trainer's checkpoint writer; the filter row includes turning the weights into the pixels the page
 * puts on its canvases (src-renderer/lib/kernelImages.ts), not the canvas paint itself.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { installFromFiles, loadSplit, mnistDataFiles } from '../src-main/core/datasets/index.ts';
import { savedRun } from '../src-main/core/inspect/testing/savedRun.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { createService } from '../src-main/core/service.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { decodeFloat32Base64, filterMosaic, maxAbs } from '../src-renderer/lib/kernelImages.ts';
import type { BenchContext, BenchResult } from './types.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(times: number, work: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    ms.push(performance.now() - started);
  }
  return median(ms);
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  await tf.setBackend('cpu');
  const temp = makeTempDir('kernellab-bench-inspect-');
  const service = createService({ dataDir: temp.dir, shell: 'cli' });
  const models: tfl.LayersModel[] = [];
  try {
    const { layout, store } = service.context;
    await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
    const test = await loadSplit(layout.datasets, 'mnist', 'test');
    const image = Array.from(test.images.subarray(0, 784));
    // mnist-two-conv: its second conv layer (index 2) has 64 filters of 3×3×32.
    const spec = getPreset('mnist-two-conv').spec;
    const runIds: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const saved = await savedRun(store, layout.runs, spec, { seed, name: `two-conv ${seed}` });
      runIds.push(saved.runId);
      models.push(saved.model);
    }
    const alexnet = await savedRun(store, layout.runs, getPreset('alexnet-28').spec, { seed: 3 });
    models.push(alexnet.model);
    const repeats = context.quick ? 3 : 7;

    const filtersMs = await timed(repeats, async () => {
      const answer = await service.call('inspect.filters', { runIds, layer: 2 });
      const ok = answer.runs.flatMap((r) => (r.ok ? [r] : []));
      if (ok.length !== 10 || ok[0]!.filters !== 64) throw new Error('inspect.filters did not answer for 10 runs of 64 filters');
      const decoded = ok.map((r) => decodeFloat32Base64(r.weights));
      const shared = Math.max(...decoded.map(maxAbs));
      for (const [i, r] of ok.entries())
        filterMosaic(
          decoded[i]!,
          { kernelSize: r.kernelSize, inChannels: r.inChannels, filters: r.filters, colour: false },
          'shared',
          shared,
        );
    });

    await service.call('inspect.featureMaps', { runIds: [alexnet.runId], image });
    const mapsMs = await timed(repeats, () => service.call('inspect.featureMaps', { runIds: [alexnet.runId], image }));

    await service.call('inspect.predict', { runIds, image });
    const tryMs = await timed(repeats * 2, () => service.call('inspect.predict', { runIds, image }));
    const backend = service.context.predictor.backend ?? 'unknown';

    return [
      {
        name: 'inspect: filters of a 64-filter layer, 10 runs side by side',
        value: filtersMs,
        unit: 'ms',
        target: '< 200',
        note: 'inspect.filters (read from 10 checkpoints) + decode + mosaic pixels; median',
      },
      {
        name: 'inspect: feature maps of one image through AlexNet-28, warm',
        value: mapsMs,
        unit: 'ms',
        target: '< 300',
        note: `inspect.featureMaps after a first call, predictor backend ${backend}; median`,
      },
      {
        name: 'inspect: try it, one drawing, 10 runs, after the first call',
        value: tryMs,
        unit: 'ms',
        target: '< 100',
        note: `inspect.predict, models loaded in the predictor (${backend}); median`,
      },
    ];
  } finally {
    for (const m of models) m.dispose();
    await service.close();
    temp.cleanup();
  }
}
