/**
 * The names the UI offers at run time (statuses, datasets, optimizers, layer types, axes…), as the
 * contract defines them. The renderer imports the contract as types only, so each list is written
 * out here and checked against the contract's type by `allOf`: a name the contract does not have,
 * or one of its names left out, fails svelte-check. The core still validates everything it gets.
 */
import type {
  Activation,
  RunBackend,
  DatasetName,
  InitializerName,
  LayerSpecInput,
  LrScheduleInput,
  MonitoredMetric,
  NamedAxis,
  OptimizerName,
  Padding,
  RunStatus,
  SummaryField,
  ValidationSplitMode,
  MonitorMode,
} from '../../src-main/core/contract/index.ts';

type Missing<T, L extends readonly unknown[]> = [Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> };

/** `allOf<T>()([...])`: the list, typed as written, refused by the compiler unless it holds exactly the members of T. */
export function allOf<T extends string>() {
  return <const L extends readonly T[]>(list: L & Missing<T, L>): L => list;
}

export const runStatuses = allOf<RunStatus>()([
  'queued',
  'running',
  'completed',
  'failed',
  'canceled',
  'interrupted',
  'diverged',
  'pruned',
]);

export function isRunStatus(name: string): name is RunStatus {
  return (runStatuses as readonly string[]).includes(name);
}

export const datasetNames = allOf<DatasetName>()(['mnist', 'fashion-mnist', 'cifar10']);

export function isDatasetName(name: string): name is DatasetName {
  return (datasetNames as readonly string[]).includes(name);
}

/** In the order the column picker shows them (the best value first). */
export const summaryFields = allOf<SummaryField>()(['best', 'last', 'min', 'max']);

export const optimizerNames = allOf<OptimizerName>()(['adam', 'sgd', 'momentum', 'rmsprop']);

export const backendNames = allOf<RunBackend>()(['tensorflow', 'wasm', 'cpu', 'webgpu', 'webgl']);

/** webgpu and webgl train only in a browser GPU host (contract/app.ts GpuHostBackend). */
export const gpuHostBackends = ['webgpu', 'webgl'] as const satisfies readonly RunBackend[];

export function isGpuHostBackend(name: string): boolean {
  return (gpuHostBackends as readonly string[]).includes(name);
}

/** contract/app.ts gpuHostWaiting: what a queued run pinned to webgpu/webgl waits for. */
export const gpuHostWaiting = "waiting for a browser GPU: open KernelLab in a browser and press Train on this browser's GPU";

export const monitoredMetrics = allOf<MonitoredMetric>()(['val_loss', 'val_accuracy', 'loss', 'accuracy']);

export const activations = allOf<Activation>()([
  'relu',
  'swish',
  'sigmoid',
  'tanh',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'relu6',
  'linear',
]);

/** Keras' names, Keras' default first. */
export const initializerNames = allOf<InitializerName>()([
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'lecun_uniform',
  'lecun_normal',
  'variance_scaling',
  'random_normal',
  'truncated_normal',
  'random_uniform',
  'zeros',
  'ones',
  'constant',
]);

export const validationSplitModes = allOf<ValidationSplitMode>()(['stratified', 'tail']);

export const monitorModes = allOf<MonitorMode>()(['auto', 'min', 'max']);

export const lrScheduleTypes = allOf<LrScheduleInput['type']>()(['step', 'exponential', 'cosine', 'plateau']);

export const paddings = allOf<Padding>()(['valid', 'same']);

export const layerTypes = allOf<LayerSpecInput['type']>()([
  'conv2d',
  'maxPool2d',
  'avgPool2d',
  'batchNorm',
  'dropout',
  'lrn',
  'flatten',
  'dense',
  'activation',
]);

/** In the order the axes editor suggests them (the most swept first). */
export const namedAxes = allOf<NamedAxis>()([
  'kernelSize',
  'epochs',
  'filters',
  'strides',
  'padding',
  'pooling',
  'activation',
  'batchSize',
  'learningRate',
  'optimizer',
  'dropout',
  'dataset',
  'seed',
  'momentum',
  'validationSplit',
  'backend',
]);
