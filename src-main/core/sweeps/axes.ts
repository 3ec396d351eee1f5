/**
 * What each axis name means: which field of the model spec, the hyperparameters or the dataset
 * it sets, and which values it accepts. Named axes (`kernelSize`, `filters`, …) set every
 * matching layer; `layers[i].field` sets one layer; `hyperparameters.field` (or the bare name)
 * sets one hyperparameter.
 */
import { coded, KernelLabError } from '../errors.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { datasetNames, registry, type DatasetName } from '../datasets/registry.ts';
import { Activation, Hyperparameters, OptimizerName, Padding, ValidationSplitMode } from '../contract/training.ts';
import { PoolingValue, type AxisValue } from '../contract/runs.ts';
import { RunBackend } from '../contract/app.ts';
import { NamedAxis, type AxisRange, type AxisValues } from '../contract/sweeps.ts';

/** The mutable draft of one point before it is validated. */
export interface PointDraft {
  model: { inputShape: number[]; numClasses: number; layers: Record<string, unknown>[]; [key: string]: unknown };
  hyperparameters: Record<string, unknown>;
  dataset: DatasetName;
}

type ValueKind =
  | { type: 'int'; min?: number }
  | { type: 'number'; min?: number; max?: number; exclusive?: boolean }
  | { type: 'enum'; options: readonly string[] }
  | { type: 'boolean' }
  | { type: 'pooling' }
  | { type: 'intOrList' };

export interface AxisDef {
  name: string;
  kind: ValueKind;
  /** What the axis changes: the model (and dataset), or only the hyperparameters. */
  target: 'model' | 'hyperparameters';
  apply(draft: PointDraft, value: AxisValue): void;
}

const namedAxes = NamedAxis.options;

const convLayers = (draft: PointDraft, axis: string): Record<string, unknown>[] => {
  const layers = draft.model.layers.filter((l) => l.type === 'conv2d');
  if (layers.length === 0)
    throw coded('invalid_input', `axes.${axis}: the model has no conv2d layer`, 'error_axis_no_layer', { axis, types: 'conv2d' });
  return layers;
};

const layersOf = (draft: PointDraft, axis: string, types: string[]): Record<string, unknown>[] => {
  const layers = draft.model.layers.filter((l) => types.includes(l.type as string));
  if (layers.length === 0)
    throw coded('invalid_input', `axes.${axis}: the model has no ${types.join(' or ')} layer`, 'error_axis_no_layer', {
      axis,
      types: types.join('/'),
    });
  return layers;
};

const hyper = (name: string, kind: ValueKind): AxisDef => ({
  name,
  kind,
  target: 'hyperparameters',
  apply: (draft, value) => {
    draft.hyperparameters[name] = value;
  },
});

const named: Record<NamedAxis, AxisDef> = {
  kernelSize: {
    name: 'kernelSize',
    kind: { type: 'int', min: 1 },
    target: 'model',
    apply: (draft, value) => convLayers(draft, 'kernelSize').forEach((l) => (l.kernelSize = value)),
  },
  filters: {
    name: 'filters',
    kind: { type: 'intOrList' },
    target: 'model',
    apply: (draft, value) => {
      const layers = convLayers(draft, 'filters');
      if (Array.isArray(value) && value.length !== layers.length)
        throw coded(
          'invalid_input',
          `axes.filters: [${value.join(', ')}] has ${value.length} entries but the model has ${layers.length} conv2d layers`,
          'error_axis_filters_count',
          { values: value.join(', '), entries: value.length, layers: layers.length },
        );
      layers.forEach((l, i) => (l.filters = Array.isArray(value) ? value[i] : value));
    },
  },
  strides: {
    name: 'strides',
    kind: { type: 'int', min: 1 },
    target: 'model',
    apply: (draft, value) => convLayers(draft, 'strides').forEach((l) => (l.strides = value)),
  },
  padding: {
    name: 'padding',
    kind: { type: 'enum', options: Padding.options },
    target: 'model',
    apply: (draft, value) => convLayers(draft, 'padding').forEach((l) => (l.padding = value)),
  },
  pooling: {
    name: 'pooling',
    kind: { type: 'pooling' },
    target: 'model',
    apply: (draft, value) => {
      const pool = PoolingValue.parse(value);
      const { type, poolSize, strides } = typeof pool === 'string' ? { type: pool, poolSize: undefined, strides: undefined } : pool;
      for (const layer of layersOf(draft, 'pooling', ['maxPool2d', 'avgPool2d'])) {
        layer.type = type === 'max' ? 'maxPool2d' : 'avgPool2d';
        if (poolSize !== undefined) layer.poolSize = poolSize;
        if (strides !== undefined) layer.strides = strides;
      }
    },
  },
  activation: {
    name: 'activation',
    kind: { type: 'enum', options: Activation.options },
    target: 'model',
    apply: (draft, value) => layersOf(draft, 'activation', ['conv2d', 'dense']).forEach((l) => (l.activation = value)),
  },
  dropout: {
    name: 'dropout',
    kind: { type: 'number', min: 0, max: 1, exclusive: true },
    target: 'model',
    apply: (draft, value) => layersOf(draft, 'dropout', ['dropout']).forEach((l) => (l.rate = value)),
  },
  dataset: {
    name: 'dataset',
    kind: { type: 'enum', options: datasetNames },
    target: 'model',
    apply: (draft, value) => {
      draft.dataset = value as DatasetName;
    },
  },
  epochs: hyper('epochs', { type: 'int', min: 1 }),
  batchSize: hyper('batchSize', { type: 'int', min: 1 }),
  learningRate: hyper('learningRate', { type: 'number', min: 0, exclusive: true }),
  optimizer: hyper('optimizer', { type: 'enum', options: OptimizerName.options }),
  seed: hyper('seed', { type: 'int', min: 0 }),
  momentum: hyper('momentum', { type: 'number', min: 0 }),
  validationSplit: hyper('validationSplit', { type: 'number', min: 0 }),
  // webgpu/webgl points wait for a browser GPU host; the others train in worker processes.
  backend: hyper('backend', { type: 'enum', options: RunBackend.options }),
};

const intFields = new Set(['filters', 'kernelSize', 'strides', 'units', 'poolSize', 'depthRadius']);
const numberFields = new Set(['rate', 'momentum', 'epsilon', 'bias', 'alpha', 'beta']);
const enumFields: Record<string, readonly string[]> = { padding: Padding.options, activation: Activation.options };
const layerFields: Record<string, string[]> = {
  conv2d: ['filters', 'kernelSize', 'strides', 'padding', 'activation'],
  maxPool2d: ['poolSize', 'strides', 'padding'],
  avgPool2d: ['poolSize', 'strides', 'padding'],
  dense: ['units', 'activation'],
  dropout: ['rate'],
  batchNorm: ['momentum', 'epsilon'],
  lrn: ['depthRadius', 'bias', 'alpha', 'beta'],
};
const layerPath = /^(?:model\.)?layers(?:\[(\d+)\]|\.(\d+))\.([A-Za-z]+)$/;
const hyperPath = /^hyperparameters\.([A-Za-z][A-Za-z0-9]*)$/;

function hyperKind(field: string): ValueKind {
  switch (field) {
    case 'epochs':
    case 'batchSize':
    case 'seed':
      return { type: 'int', min: field === 'seed' ? 0 : 1 };
    case 'optimizer':
      return { type: 'enum', options: OptimizerName.options };
    case 'validateOn':
      return { type: 'enum', options: ['split', 'test'] };
    case 'validationSplitMode':
      return { type: 'enum', options: ValidationSplitMode.options };
    case 'shuffle':
    case 'nesterov':
    case 'centered':
      return { type: 'boolean' };
    case 'checkpointMonitor':
      return { type: 'enum', options: ['val_loss', 'val_accuracy', 'loss', 'accuracy'] };
    case 'backend':
      return { type: 'enum', options: RunBackend.options };
    default:
      return { type: 'number' };
  }
}

/** Resolves an axis name to its definition, or throws naming the axis and what is accepted. */
export function resolveAxis(name: string): AxisDef {
  if (Object.hasOwn(named, name)) return named[name as keyof typeof named];
  const layer = layerPath.exec(name);
  if (layer) {
    const index = Number(layer[1] ?? layer[2]);
    const field = layer[3]!;
    const kind: ValueKind | undefined = intFields.has(field)
      ? { type: 'int', min: 1 }
      : numberFields.has(field)
        ? { type: 'number' }
        : enumFields[field]
          ? { type: 'enum', options: enumFields[field] }
          : undefined;
    if (!kind)
      throw coded(
        'invalid_input',
        `axes.${name}: '${field}' is not a layer field a sweep can vary; use one of ${[...intFields, ...numberFields, ...Object.keys(enumFields)].join(', ')}`,
        'error_axis_not_layer_field',
        { axis: name, field, fields: [...intFields, ...numberFields, ...Object.keys(enumFields)].join(', ') },
      );
    return {
      name,
      kind,
      target: 'model',
      apply: (draft, value) => {
        const target = draft.model.layers[index];
        if (!target)
          throw coded(
            'invalid_input',
            `axes.${name}: the model has ${draft.model.layers.length} layers (layers[0] to layers[${draft.model.layers.length - 1}])`,
            'error_axis_layer_index',
            { axis: name, layers: draft.model.layers.length, last: draft.model.layers.length - 1 },
          );
        const type = String(target.type);
        if (!layerFields[type]?.includes(field))
          throw coded(
            'invalid_input',
            `axes.${name}: layers[${index}] is a ${type} layer, which has no ${field}`,
            'error_axis_layer_no_field',
            {
              axis: name,
              index,
              type,
              field,
            },
          );
        target[field] = value;
      },
    };
  }
  const hp = hyperPath.exec(name);
  if (hp) {
    const field = hp[1]!;
    if (!Object.hasOwn(Hyperparameters.shape, field))
      throw coded('invalid_input', `axes.${name}: unknown hyperparameter '${field}'`, 'error_axis_unknown_hyperparameter', {
        axis: name,
        field,
      });
    if (field === 'earlyStopping' || field === 'lrSchedule')
      throw coded(
        'invalid_input',
        `axes.${name}: ${field} is a group of settings, not one value; set it in base.hyperparameters (one sweep per setting)`,
        'error_axis_setting_group',
        { axis: name, field },
      );
    return hyper(field, hyperKind(field));
  }
  throw coded(
    'invalid_input',
    `axes.${name}: unknown axis; use one of ${namedAxes.join(', ')}, layers[i].<field> or hyperparameters.<field>`,
    'error_axis_unknown',
    { axis: name, axes: namedAxes.join(', ') },
  );
}

/** What an axis value is not: the English (`not …`), the refusal coded, and the issue coded for its field. */
type NotText = { what: string; text: CoreText; issue: CoreText };

function checkValue(axis: AxisDef, value: AxisValue, where: string): void {
  const shown = JSON.stringify(value);
  const at = { where: where.slice(0, 1000), value: shown.slice(0, 1000) };
  const fail = ({ what, text, issue }: NotText): never => {
    throw new KernelLabError('invalid_input', `${where}: ${shown} is not ${what}`, [`${where}: not ${what}`], {
      text,
      issueTexts: [{ path: where, text: issue }],
    });
  };
  const atLeast = (min: number): NotText => ({
    what: `at least ${min}`,
    text: coreText('sweep_axis_not_at_least', { ...at, min }),
    issue: coreText('issue_too_small', { minimum: min }),
  });
  const kind = axis.kind;
  switch (kind.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value))
        fail({ what: 'an integer', text: coreText('sweep_axis_not_integer', at), issue: coreText('issue_sweep_integer', {}) });
      if (kind.min !== undefined && (value as number) < kind.min) fail(atLeast(kind.min));
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        fail({ what: 'a number', text: coreText('sweep_axis_not_number', at), issue: coreText('issue_sweep_number', {}) });
      if (kind.min !== undefined && (kind.exclusive ? (value as number) <= kind.min : (value as number) < kind.min))
        fail(
          kind.exclusive
            ? {
                what: `greater than ${kind.min}`,
                text: coreText('sweep_axis_not_greater_than', { ...at, min: kind.min }),
                issue: coreText('issue_too_small_exclusive', { minimum: kind.min }),
              }
            : atLeast(kind.min),
        );
      if (kind.max !== undefined && (kind.exclusive ? (value as number) >= kind.max : (value as number) > kind.max))
        fail(
          kind.exclusive
            ? {
                what: `less than ${kind.max}`,
                text: coreText('sweep_axis_not_less_than', { ...at, max: kind.max }),
                issue: coreText('issue_too_big_exclusive', { maximum: kind.max }),
              }
            : {
                what: `at most ${kind.max}`,
                text: coreText('sweep_axis_not_at_most', { ...at, max: kind.max }),
                issue: coreText('issue_too_big', { maximum: kind.max }),
              },
        );
      break;
    case 'enum':
      if (typeof value !== 'string' || !kind.options.includes(value)) {
        const options = kind.options.join(', ');
        fail({
          what: `one of ${options}`,
          text: coreText('sweep_axis_not_one_of', { ...at, options }),
          issue: coreText('issue_invalid_value', { values: options }),
        });
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean')
        fail({ what: 'true or false', text: coreText('sweep_axis_not_boolean', at), issue: coreText('issue_sweep_boolean', {}) });
      break;
    case 'pooling':
      if (!PoolingValue.safeParse(value).success)
        fail({
          what: `'max', 'avg' or ${poolingForm}`,
          text: coreText('sweep_axis_not_pooling', { ...at, form: poolingForm }),
          issue: coreText('issue_sweep_pooling', {}),
        });
      break;
    case 'intOrList':
      if (
        Array.isArray(value)
          ? !value.every((v) => Number.isInteger(v) && v > 0) || value.length === 0
          : !(Number.isInteger(value) && (value as number) > 0)
      )
        fail({
          what: 'a positive integer or a list of them (one per conv2d layer)',
          text: coreText('sweep_axis_not_positive_ints', at),
          issue: coreText('issue_sweep_positive_ints', {}),
        });
      break;
  }
}

/** A pooling value's object form as the refusal writes it (a parameter: the catalogue cannot hold braces). */
const poolingForm = '{ type, poolSize, strides }';

export function isNumericAxis(axis: AxisDef): boolean {
  return axis.kind.type === 'int' || axis.kind.type === 'number' || axis.kind.type === 'intOrList';
}

/** The grid values of a range: `steps` values from min to max, evenly spaced on a linear or log scale. */
export function rangeValues(axis: AxisDef, range: AxisRange, where: string): number[] {
  if (!isNumericAxis(axis))
    throw coded('invalid_input', `${where}: a range needs a numeric axis; give a list of values`, 'error_axis_range_not_numeric', {
      where,
    });
  if (range.steps === undefined)
    throw coded('invalid_input', `${where}.steps: a grid over a range needs steps`, 'error_axis_range_steps', { where }, [
      `${where}.steps: required for a grid`,
    ]);
  const { min, max, steps, scale } = range;
  const values: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? 0 : i / (steps - 1);
    const v = scale === 'log' ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
    values.push(axis.kind.type === 'number' ? Number(v.toPrecision(12)) : Math.round(v));
  }
  const unique = [...new Set(values)];
  unique.forEach((v, i) => checkValue(axis, v, `${where}[${i}]`));
  return unique;
}

/** Checks each listed value against the axis; returns the values as a list. */
export function listValues(axis: AxisDef, values: AxisValue[], where: string): AxisValue[] {
  values.forEach((v, i) => checkValue(axis, v, `${where}[${i}]`));
  return values;
}

export function isRange(values: AxisValues): values is AxisRange {
  return !Array.isArray(values);
}

/** Draws one value of a range for random search (log-uniform on a log scale; integers rounded). */
export function sampleRange(axis: AxisDef, range: AxisRange, u: number): number {
  const { min, max, scale } = range;
  const v = scale === 'log' ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
  return axis.kind.type === 'number' ? Number(v.toPrecision(12)) : Math.round(v);
}

/** Sets the model's input shape and class count from the dataset: the same sweep runs on every dataset. */
export function followDataset(draft: PointDraft): void {
  const def = registry[draft.dataset];
  draft.model.inputShape = [def.height, def.width, def.channels];
  draft.model.numClasses = def.classNames.length;
}
