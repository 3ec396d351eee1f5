import { join } from 'node:path';
import type { ServiceContext } from '../context.ts';
import type { Handlers } from '../contract/define.ts';
import type { MethodInput, MethodOutput, Methods } from '../contract/index.ts';
import {
  defaultSnapshotLimitMiB,
  mebibyte,
  type FeatureMapsOutput,
  type FiltersOutput,
  type LayerFilters,
  type PredictManyOutput,
} from '../contract/inspect.ts';
import { ModelSpec } from '../contract/training.ts';
import { isDatasetName, loadSplit, registry, type RawSplit } from '../datasets/index.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { CoreText } from '../contract/coreText.ts';
import { runDirOf } from '../home.ts';
import { readCheckpointState } from '../training/checkpointIO.ts';
import type { InferModel } from '../training/inferenceProtocol.ts';
import { readConvKernel } from './layerWeights.ts';
import { chooseWeights, recordedWeights, weightsKey, type RecordedWeights } from './recordedWeights.ts';
import { setSnapshotLimitMiB, snapshotLimitMiB } from './snapshotLimit.ts';

type InspectMethodName =
  | 'inspect.predict'
  | 'inspect.filters'
  | 'inspect.featureMaps'
  | 'inspect.snapshotLimit'
  | 'inspect.setSnapshotLimit'
  | 'runs.predict'
  | 'runs.exportModel';

/** A run ready to inspect: its spec, the weights chosen, and every epoch it has weights for. */
interface Inspected {
  runId: number;
  dataset: string;
  spec: ModelSpec;
  weights: RecordedWeights;
  /** Every set of weights on disk, one per epoch. */
  recorded: RecordedWeights[];
  epochs: number[];
  /** The run's own checkpoints folder. */
  checkpointsDir: string;
}

function inspected(ctx: ServiceContext, runId: number, epoch: number | undefined): Inspected {
  const run = ctx.store.getRun(runId);
  if (!run) throw coded('not_found', `run ${runId} does not exist`, 'error_run_not_found', { id: runId });
  const spec = ModelSpec.safeParse(run.modelSpec);
  if (!spec.success) throw coded('invalid_input', `run ${runId} has no valid model spec to run`, 'error_inspect_no_spec', { id: runId });
  const checkpointsDir = join(runDirOf(ctx.layout, run.uuid), 'checkpoints');
  const recorded = recordedWeights(ctx.store.checkpointsOf(runId), ctx.layout.runs, checkpointsDir);
  return {
    checkpointsDir,
    runId,
    dataset: run.dataset,
    spec: spec.data,
    weights: chooseWeights(runId, recorded, epoch),
    recorded,
    epochs: recorded.map((w) => w.epoch),
  };
}

interface Refusal {
  runId: number;
  ok: false;
  error: string;
  errorCode: CoreText | undefined;
  /** The error itself, for a caller that asked about one run and throws it (never sent). */
  cause: unknown;
}

/** Each run's answer, or the sentence why it has none: one run without a checkpoint does not sink the others. */
function perRun<T>(runIds: number[], answer: (runId: number) => Promise<T>): Promise<(T | Refusal)[]> {
  return Promise.all(
    runIds.map((runId) =>
      answer(runId).catch((error: unknown): Refusal => ({
        runId,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        errorCode: error instanceof KernelLabError ? error.text : undefined,
        cause: error,
      })),
    ),
  );
}

/** The epochs a run trained and the snapshot limit it trained with, from its own last checkpoint; null without one. */
function recordingOf(checkpointsDir: string): LayerFilters['recording'] {
  try {
    const state = readCheckpointState(join(checkpointsDir, 'last'));
    const limit = state.snapshotLimitBytes;
    return { trainedEpochs: state.epochsCompleted, snapshotLimitMiB: limit === undefined ? null : limit / mebibyte };
  } catch {
    return null;
  }
}

/** A refusal as the wire carries it. */
const refusal = ({ runId, error, errorCode }: Refusal) => ({ runId, ok: false as const, error, ...(errorCode && { errorCode }) });

function float32Base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function range(values: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length ? { min, max } : { min: 0, max: 0 };
}

function classNamesOf(dataset: string, count: number): string[] {
  return isDatasetName(dataset) ? registry[dataset].classNames : Array.from({ length: count }, (_, i) => String(i));
}

/**
 * The image each run sees: the given pixels, or its own dataset's test image at `testIndex`
 * (each dataset loaded once per call, from its decoded cache).
 */
function imageSource(ctx: ServiceContext, input: { image?: number[] | undefined; testIndex?: number | undefined }) {
  const splits = new Map<string, Promise<RawSplit>>();
  return async (run: Inspected): Promise<{ image: Uint8Array; label: number | null }> => {
    const [h, w, c] = run.spec.inputShape;
    if (input.image !== undefined) {
      if (input.image.length !== h * w * c)
        throw coded(
          'invalid_input',
          `image: ${input.image.length} pixel values, run ${run.runId}'s model takes ${h}×${w}×${c} = ${h * w * c}`,
          'error_inspect_image_size',
          { values: input.image.length, id: run.runId, height: h, width: w, channels: c, expected: h * w * c },
        );
      return { image: Uint8Array.from(input.image), label: null };
    }
    const index = input.testIndex!;
    const dataset = run.dataset;
    if (!isDatasetName(dataset))
      throw coded(
        'invalid_input',
        `run ${run.runId} was trained on '${dataset}', which has no test split here`,
        'error_inspect_no_test_split',
        {
          id: run.runId,
          dataset,
        },
      );
    if (!splits.has(dataset)) splits.set(dataset, loadSplit(ctx.layout.datasets, dataset, 'test'));
    const test = await splits.get(dataset)!;
    if (index >= test.count)
      throw coded('invalid_input', `testIndex: ${index} is past the ${test.count} test images of ${dataset}`, 'error_test_index_past', {
        index,
        count: test.count,
        dataset,
      });
    const size = test.height * test.width * test.channels;
    if (size !== h * w * c)
      throw coded(
        'invalid_input',
        `run ${run.runId}'s model takes ${h}×${w}×${c}; ${dataset} images are ${test.height}×${test.width}×${test.channels}`,
        'error_inspect_dataset_shape',
        {
          id: run.runId,
          height: h,
          width: w,
          channels: c,
          dataset,
          imageHeight: test.height,
          imageWidth: test.width,
          imageChannels: test.channels,
        },
      );
    return { image: test.images.slice(index * size, (index + 1) * size), label: test.labels[index]! };
  };
}

/** Runs each run's model on its image in the predictor; per-run refusals stay per run. */
async function classify(
  ctx: ServiceContext,
  input: { runIds: number[]; image?: number[] | undefined; testIndex?: number | undefined; epoch?: number | undefined },
  featureMaps: boolean,
) {
  const imageOf = imageSource(ctx, input);
  const prepared = await perRun(input.runIds, async (runId) => {
    const run = inspected(ctx, runId, input.epoch);
    const { image, label } = await imageOf(run);
    const model: InferModel = { key: await weightsKey(run.weights), spec: run.spec, checkpointDir: run.weights.dir, image };
    return { runId, ok: true as const, run, label, model };
  });
  const ready = prepared.flatMap((p) => (p.ok ? [p] : []));
  const results = ready.length
    ? await ctx.predictor.infer(
        ready.map((p) => p.model),
        featureMaps,
      )
    : [];
  return prepared.map((p) => {
    if (!p.ok) return p;
    const result = results[ready.indexOf(p)]!;
    if (!result.ok) {
      const cause = coded('unavailable', `run ${p.runId}: ${result.error}`, 'error_inspect_model_failed', {
        id: p.runId,
        error: result.error.slice(0, 1000),
      });
      return { runId: p.runId, ok: false as const, error: cause.message, errorCode: cause.text, cause } satisfies Refusal;
    }
    const probabilities = Array.from(result.probabilities);
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    const classNames = classNamesOf(p.run.dataset, probabilities.length);
    return {
      runId: p.runId,
      ok: true as const,
      checkpoint: { epoch: p.run.weights.epoch, kind: p.run.weights.kind },
      epochs: p.run.epochs,
      probabilities,
      predicted,
      className: classNames[predicted] ?? String(predicted),
      classNames,
      label: p.label,
      maps: result.maps,
    };
  });
}

/**
 * Filters, feature maps and predictions of trained runs. Filters are read from the checkpoint
 * files here; anything that runs a model goes to the warm predictor process (ctx.predictor).
 */
export function inspectHandlers(ctx: ServiceContext): Handlers<Pick<Methods, InspectMethodName>> {
  return {
    'inspect.predict': async (input): Promise<PredictManyOutput> => ({
      runs: (await classify(ctx, input, false)).map((r) => {
        if (!r.ok) return refusal(r);
        const { maps: _maps, epochs: _epochs, ...rest } = r;
        return rest;
      }),
    }),

    'inspect.featureMaps': async (input): Promise<FeatureMapsOutput> => ({
      runs: (await classify(ctx, input, true)).map((r) => {
        if (!r.ok) return refusal(r);
        const { maps, ...rest } = r;
        return {
          ...rest,
          layers: maps.map((m) => ({ index: m.index, type: m.type, shape: m.shape, data: float32Base64(m.data), ...range(m.data) })),
        };
      }),
    }),

    'inspect.filters': async ({ runIds, layer, epoch }): Promise<FiltersOutput> => ({
      runs: (
        await perRun(runIds, async (runId) => {
          const run = inspected(ctx, runId, epoch);
          const kernel = await readConvKernel(run.weights.dir, run.spec, layer);
          return {
            runId,
            ok: true as const,
            layer,
            checkpoint: { epoch: run.weights.epoch, kind: run.weights.kind },
            epochs: run.epochs,
            recording: recordingOf(run.checkpointsDir),
            kernelSize: kernel.kernelSize,
            inChannels: kernel.inChannels,
            filters: kernel.filters,
            weights: float32Base64(kernel.values),
            ...range(kernel.values),
          };
        })
      ).map((r) => (r.ok ? r : refusal(r))),
    }),

    'inspect.snapshotLimit': () => ({ limitMiB: snapshotLimitMiB(ctx.store), defaultMiB: defaultSnapshotLimitMiB }),

    'inspect.setSnapshotLimit': ({ limitMiB }) => {
      setSnapshotLimitMiB(ctx.store, limitMiB);
      return { limitMiB: snapshotLimitMiB(ctx.store), defaultMiB: defaultSnapshotLimitMiB };
    },

    'runs.exportModel': (input) => exportModel(ctx, input),

    // One run, one image: the same path as inspect.predict, with runs.predict's own answer shape.
    'runs.predict': async ({ runId, image, testIndex }) => {
      const [r] = (await classify(ctx, { runIds: [runId], image, testIndex }, false)) as [Awaited<ReturnType<typeof classify>>[number]];
      // One run asked: its refusal is the method's error, with its own code (not_found, invalid_input…).
      if (!r.ok) throw r.cause;
      return {
        runId,
        checkpoint: r.checkpoint.kind === 'epoch' ? 'last' : r.checkpoint.kind,
        predicted: r.predicted,
        className: r.className,
        probabilities: r.probabilities,
        label: r.label,
      };
    },
  };
}

/** A run's trained model as portable TF.js Layers files, with its run record beside them. */
async function exportModel(
  ctx: ServiceContext,
  { id, checkpoint }: MethodInput<'runs.exportModel'>,
): Promise<MethodOutput<'runs.exportModel'>> {
  const run = inspected(ctx, id, undefined);
  // The last weights are those of the newest epoch (when that epoch was also the best, its folder is 'best').
  const weights = checkpoint === 'last' ? run.recorded.at(-1) : run.recorded.filter((w) => w.kind === 'best').at(-1);
  if (!weights)
    throw coded('not_found', `checkpoint: run ${id} has no ${checkpoint} checkpoint on disk`, 'error_no_checkpoint', {
      id,
      checkpoint: String(checkpoint),
    });
  const model = await ctx.predictor.exportModel(run.spec, weights.dir);
  const record = ctx.store.exportRuns({ runIds: [id] }, 'json');
  return {
    runId: id,
    checkpoint: { epoch: weights.epoch, kind: weights.kind },
    files: [
      { name: 'model.json', mediaType: 'application/json', base64: Buffer.from(model.modelJson).toString('base64') },
      { name: 'weights.bin', mediaType: 'application/octet-stream', base64: Buffer.from(model.weights).toString('base64') },
      { name: 'run.json', mediaType: 'application/json', base64: Buffer.from(record.content).toString('base64') },
    ],
  };
}
