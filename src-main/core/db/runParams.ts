/**
 * The one owner of a run's params (DESIGN.md: "whatever changes a result is a param"). A run's
 * params are derived here, and only here, from what the run is: its model spec, its
 * hyperparameters, its data settings (dataset, subset sizes, validation split, preprocessing) and
 * the backend. RunStore.createRun, the runs import, the backend a worker reports and the upgrade of
 * older databases all call `runParams`, so two runs that differ in anything that changes a result
 * differ in a param — a column in the runs table, a row of `runs compare --diff-only`, a filter,
 * a pivot axis.
 *
 * Keys:
 * - hyperparameters flattened as they are named: `epochs`, `learningRate`, `earlyStopping.patience`,
 *   `lrSchedule.type`, with every default filled in (a run recorded before a knob existed trained
 *   with its default); of the optimizer constants only the ones the run's optimizer takes, with
 *   the values it trains with (`beta2` for adam, `rho` for rmsprop, `momentum` for both momentum
 *   optimizers) — contract/training.ts optimizerSettings;
 * - `dataset`, `trainImages` and `testImages` (images the run trains and is tested on, before the
 *   validation split), `preprocessing`, `backend` (pinned, `auto`, or the one a worker got);
 * - `model` (the spec's name) and every layer field, `layers.<i>.<field>` (`layers.2.kernelSize`,
 *   `layers.0.kernelInitializer.stddev`), and the softmax output's, `output.<field>`;
 * - the named sweep axes that set every matching layer, read back from the layers: `kernelSize`,
 *   `filters`, `strides`, `padding` (conv2d), `activation` (conv2d and dense), `pooling` (max|avg),
 *   `dropout` (dropout rates) — one value when the layers agree, else the list (JSON).
 *
 * A sweep axis names the param that holds its value: `paramOfAxis`. No axis value is stored
 * apart from the spec it was applied to, so a sweep run and the same run started by hand get
 * the same params.
 */
import type { z } from 'zod';
import { Hyperparameters, ModelSpec, optimizerConstantNames, optimizerSettings } from '../contract/training.ts';
import { registry, type DatasetName } from '../datasets/registry.ts';
import type { FlatParam } from './records.ts';

/** Bump when the derivation changes: RunStore re-derives the params of runs recorded before. */
export const paramsVersion = 2;

/** What the worker does to pixels before training (trainingData/batches: uint8 / 255). */
export const preprocessing = 'pixels/255';

export interface RunParamSource {
  modelSpec: unknown;
  hyperparameters: Record<string, unknown>;
  dataset: string;
  backend: string;
  environment: Record<string, unknown>;
}

function param(key: string, value: unknown): FlatParam {
  if (typeof value === 'number' && Number.isFinite(value)) return { key, value, kind: 'number' };
  if (typeof value === 'string') return { key, value, kind: 'string' };
  if (typeof value === 'boolean') return { key, value: value ? 1 : 0, kind: 'boolean' };
  return { key, value: JSON.stringify(value ?? null) ?? 'null', kind: 'json' };
}

/** `{ optimizer: { lr: 0.01 }, layers: [{ kernelSize: 3 }] }` → `optimizer.lr`, `layers.0.kernelSize`. */
export function flattenParams(value: unknown, prefix = '', out: FlatParam[] = []): FlatParam[] {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  if (prefix === '') return out;
  out.push(param(prefix, value));
  return out;
}

type Layer = Record<string, unknown> & { type?: unknown };

/** The value as the schema reads it (defaults filled in), or as it is when it does not parse. */
function withDefaults(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : value;
}

const optimizerConstants = new Set<string>(optimizerConstantNames);

function hyperparameterParams(hyperparameters: Record<string, unknown>, out: FlatParam[]): void {
  const parsed = Hyperparameters.safeParse(hyperparameters);
  if (!parsed.success) {
    flattenParams(hyperparameters, '', out);
    return;
  }
  const rest = Object.fromEntries(Object.entries(parsed.data).filter(([key]) => !optimizerConstants.has(key)));
  flattenParams(rest, '', out);
  for (const [key, value] of Object.entries(optimizerSettings(parsed.data))) if (key !== 'optimizer') out.push(param(key, value));
}

/**
 * The named axes and the layer field each one sets (sweeps/axes.ts applies them the same way):
 * `field` is the layer's own param (`layers.<i>.<field>`), `read` its value as the named param says it.
 */
const namedLayerParams: { key: string; field: string; types: string[]; read: (layer: Layer) => unknown }[] = [
  { key: 'kernelSize', field: 'kernelSize', types: ['conv2d'], read: (l) => l.kernelSize },
  { key: 'filters', field: 'filters', types: ['conv2d'], read: (l) => l.filters },
  { key: 'strides', field: 'strides', types: ['conv2d'], read: (l) => l.strides ?? 1 },
  { key: 'padding', field: 'padding', types: ['conv2d'], read: (l) => l.padding ?? 'valid' },
  { key: 'activation', field: 'activation', types: ['conv2d', 'dense'], read: (l) => l.activation ?? 'relu' },
  { key: 'pooling', field: 'type', types: ['maxPool2d', 'avgPool2d'], read: (l) => (l.type === 'maxPool2d' ? 'max' : 'avg') },
  { key: 'dropout', field: 'rate', types: ['dropout'], read: (l) => l.rate },
];

function modelParams(modelSpec: unknown, out: FlatParam[]): void {
  if (modelSpec === null || typeof modelSpec !== 'object') return;
  const spec = withDefaults(ModelSpec, modelSpec) as { name?: unknown; layers?: unknown; output?: unknown };
  if (typeof spec.name === 'string') out.push(param('model', spec.name));
  const layers = Array.isArray(spec.layers) ? (spec.layers.filter((l) => l !== null && typeof l === 'object') as Layer[]) : [];
  for (const named of namedLayerParams) {
    const values = layers.filter((l) => named.types.includes(String(l.type))).map(named.read);
    if (values.length === 0) continue;
    const same = values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));
    out.push(param(named.key, same ? values[0] : values));
  }
  layers.forEach((layer, i) => {
    for (const [field, value] of Object.entries(layer)) if (value !== undefined) flattenParams(value, `layers.${i}.${field}`, out);
  });
  if (spec.output !== null && typeof spec.output === 'object') flattenParams(spec.output, 'output', out);
}

/**
 * Images a run trains and tests on: its per-class subset, else the whole split of the variant
 * installed when it was queued (environment.datasetVariant). A count no variant decides — a
 * dataset with several variants, no subset, no recorded variant — is left out rather than guessed.
 */
function imageCounts(dataset: string, environment: Record<string, unknown>): { train?: number; test?: number } {
  if (!Object.hasOwn(registry, dataset)) return {};
  const def = registry[dataset as DatasetName];
  const variantId = typeof environment.datasetVariant === 'string' ? environment.datasetVariant : undefined;
  const candidates = def.variants.filter((v) => variantId === undefined || v.id === variantId);
  const subset = (environment.subset ?? {}) as { trainPerClass?: unknown; testPerClass?: unknown };
  const count = (perClass: unknown, split: 'train' | 'test'): number | undefined => {
    const counts = new Set(
      (candidates.length ? candidates : def.variants).map((v) =>
        typeof perClass === 'number' && perClass > 0
          ? v.splits[split].classCounts.reduce((sum, n) => sum + Math.min(n, perClass), 0)
          : v.splits[split].count,
      ),
    );
    return counts.size === 1 ? [...counts][0] : undefined;
  };
  return { train: count(subset.trainPerClass, 'train'), test: count(subset.testPerClass, 'test') };
}

/**
 * A model spec's params by the spec object's identity, for one batch of runs (a chunk of a sweep:
 * its points share the spec object of each distinct model, sweeps/expand.ts). Parsing the same spec
 * once per run was 3.4 s of queueing 100,000 runs (issue 12). Keep one only while no spec in it is
 * changed: within one call.
 */
export type ModelParamsMemo = Map<object, readonly FlatParam[]>;

function memoModelParams(modelSpec: unknown, out: FlatParam[], memo: ModelParamsMemo | undefined): void {
  if (memo === undefined || modelSpec === null || typeof modelSpec !== 'object') return modelParams(modelSpec, out);
  let params = memo.get(modelSpec);
  if (params === undefined) {
    const own: FlatParam[] = [];
    modelParams(modelSpec, own);
    params = own;
    memo.set(modelSpec, params);
  }
  out.push(...params);
}

/** Every param of a run, derived from what the run is. Later entries never repeat a key. */
export function runParams(run: RunParamSource, memo?: ModelParamsMemo): FlatParam[] {
  const out: FlatParam[] = [];
  hyperparameterParams(run.hyperparameters, out);
  out.push(param('dataset', run.dataset));
  const counts = imageCounts(run.dataset, run.environment);
  if (counts.train !== undefined) out.push(param('trainImages', counts.train));
  if (counts.test !== undefined) out.push(param('testImages', counts.test));
  out.push(param('preprocessing', preprocessing));
  out.push(param('backend', run.backend));
  memoModelParams(run.modelSpec, out, memo);
  // One row per key: a later derivation (the backend that ran, a layer read) wins over a flattened one.
  return [...new Map(out.map((p) => [p.key, p])).values()];
}

/**
 * The param that holds a sweep axis's value: named axes are params of the same name,
 * `layers[2].kernelSize` (or `model.layers.2.kernelSize`) is `layers.2.kernelSize`, and
 * `hyperparameters.learningRate` is `learningRate`.
 */
export function paramOfAxis(axis: string): string {
  const layer = /^(?:model\.)?layers(?:\[(\d+)\]|\.(\d+))\.([A-Za-z]+)$/.exec(axis);
  if (layer) return `layers.${layer[1] ?? layer[2]}.${layer[3]}`;
  const hyper = /^hyperparameters\.([A-Za-z][A-Za-z0-9]*)$/.exec(axis);
  if (hyper) return hyper[1]!;
  return axis;
}

/** One run's params as stored (`params` rows): key → value and kind. */
export type StoredParams = ReadonlyMap<string, { value: number | string; kind: FlatParam['kind'] }>;

/**
 * The keys among `keys` that only restate another of them for these runs, so that a comparison
 * or a table shows each fact once — two runs of a kernel-size sweep differ in one row,
 * `kernelSize`, not also in `layers.0.kernelSize`:
 * - a layer's field (`layers.0.kernelSize`) is restated by the named param that reads it
 *   (`kernelSize`) when, in every run, that layer is one the named param reads and the named param
 *   holds one value, the layer's;
 * - a named param that is a list in some run (its layers disagree) restates the layers' own rows,
 *   which say which layer holds what: they stand for it;
 * - the user's name wins: where a sweep of these runs has the layer's field as an axis
 *   (`layers[0].kernelSize`, `axes` holds params as paramOfAxis names them) and not the named
 *   param, the layer's row stands and the named one is the restatement.
 * Anything else — two settings that happen to change together — is two facts and stays.
 */
export function restatedParams(runs: readonly StoredParams[], keys: Iterable<string>, axes: ReadonlySet<string> = new Set()): Set<string> {
  const shown = new Set(keys);
  const restated = new Set<string>();
  const layerKey = /^layers\.(\d+)\.([A-Za-z]+)$/;
  for (const named of namedLayerParams) {
    if (!shown.has(named.key)) continue;
    const layerRows = [...shown].flatMap((key) => {
      const match = layerKey.exec(key);
      return match && match[2] === named.field ? [{ key, index: match[1]! }] : [];
    });
    if (layerRows.length === 0) continue;
    const isList = runs.some((run) => run.get(named.key)?.kind === 'json');
    if (isList && !axes.has(named.key)) {
      restated.add(named.key);
      continue;
    }
    const saidByNamed = layerRows.filter(({ key, index }) =>
      runs.every((run) => {
        const namedValue = run.get(named.key);
        const value = run.get(key);
        const type = run.get(`layers.${index}.type`)?.value;
        if (namedValue === undefined && value === undefined) return true;
        if (namedValue === undefined || value === undefined || !named.types.includes(String(type))) return false;
        return named.read({ type, [named.field]: value.value }) === namedValue.value;
      }),
    );
    if (saidByNamed.some(({ key }) => axes.has(key)) && !axes.has(named.key)) restated.add(named.key);
    else for (const { key } of saidByNamed) restated.add(key);
  }
  return restated;
}
