import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import { isDatasetName, loadSplit, registry } from '../datasets/index.ts';
import { KernelLabError } from '../errors.ts';
import { ModelSpec } from '../contract/training.ts';
import { runDirOf } from '../home.ts';
import { presets } from '../models/presets.ts';
import { summarizeModel } from '../models/modelSummary.ts';
import type { ServiceContext } from '../context.ts';
import { predictInWorker } from './predict.ts';

/** Spec-level methods are pure shape arithmetic; prediction runs in a worker, so main never loads tfjs. */
export function trainingHandlers(ctx: ServiceContext): Handlers<Pick<Methods, 'training.presets' | 'training.summary' | 'runs.predict'>> {
  return {
    'training.presets': () => presets.map((p) => ({ ...p, summary: summarizeModel(p.spec) })),
    'training.summary': ({ spec }) => summarizeModel(spec),
    'runs.predict': async ({ runId, image, testIndex }) => {
      const run = ctx.store.getRun(runId);
      if (!run) throw new KernelLabError('not_found', `run ${runId} does not exist`);
      const parsed = ModelSpec.safeParse(run.modelSpec);
      if (!parsed.success) throw new KernelLabError('invalid_input', `run ${runId} has no valid model spec to predict with`);
      const spec = parsed.data;
      const base = join(runDirOf(ctx.layout, run.uuid), 'checkpoints');
      const checkpoint = existsSync(join(base, 'best', 'model.json'))
        ? 'best'
        : existsSync(join(base, 'last', 'model.json'))
          ? 'last'
          : null;
      if (!checkpoint) throw new KernelLabError('not_found', `run ${runId} has no checkpoint yet in ${base}`);
      const [h, w, c] = spec.inputShape;
      let pixels: number[];
      let label: number | null = null;
      if (testIndex !== undefined) {
        if (!isDatasetName(run.dataset))
          throw new KernelLabError('invalid_input', `run ${runId} was trained on '${run.dataset}', which has no test split here`);
        const test = await loadSplit(ctx.layout.datasets, run.dataset, 'test');
        if (testIndex >= test.count)
          throw new KernelLabError('invalid_input', `testIndex: ${testIndex} is past the ${test.count} test images of ${run.dataset}`);
        const size = test.height * test.width * test.channels;
        pixels = Array.from(test.images.subarray(testIndex * size, (testIndex + 1) * size));
        label = test.labels[testIndex]!;
      } else {
        pixels = image!;
      }
      if (pixels.length !== h * w * c) {
        throw new KernelLabError('invalid_input', `image: ${pixels.length} pixel values, the model takes ${h}×${w}×${c} = ${h * w * c}`);
      }
      const [probabilities] = await predictInWorker(ctx.launchWorker, ctx.workerEntry, {
        type: 'predict',
        spec,
        checkpointDir: join(base, checkpoint),
        images: pixels,
        count: 1,
      });
      const row = probabilities!;
      const predicted = row.indexOf(Math.max(...row));
      const classNames = isDatasetName(run.dataset) ? registry[run.dataset].classNames : [];
      return { runId, checkpoint, predicted, className: classNames[predicted] ?? String(predicted), probabilities: row, label };
    },
  };
}
