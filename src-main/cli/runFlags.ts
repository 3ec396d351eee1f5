/**
 * Flags shared by `kernellab train` and `kernellab sweep`: each names a sweep axis, so a single
 * value sets it for one run and a comma list makes it an axis of a sweep.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KernelLabError } from '../core/errors.ts';

/** Flag → axis name (the names sweep specs use). */
export const axisFlags = [
  ['kernel-size', 'kernelSize', 'kernel size of every conv layer'],
  ['filters', 'filters', 'filters of every conv layer'],
  ['strides', 'strides', 'stride of every conv layer'],
  ['padding', 'padding', 'same | valid, every conv layer'],
  ['pooling', 'pooling', 'max | avg, every pooling layer'],
  ['activation', 'activation', 'activation of every conv and dense layer'],
  ['epochs', 'epochs', 'epochs'],
  ['batch-size', 'batchSize', 'batch size'],
  ['learning-rate', 'learningRate', 'learning rate'],
  ['optimizer', 'optimizer', 'sgd | momentum | adam | rmsprop'],
  ['dropout', 'dropout', 'rate of every dropout layer'],
  ['seed', 'seed', 'seed'],
] as const;

/** `lenet5` is the MNIST reference network (relu); every preset id works as itself. */
export const presetAliases: Record<string, string> = { lenet5: 'lenet5-relu', lenet: 'lenet5-relu', alexnet: 'alexnet-28' };

export function addRunFlags(command: Command, list: boolean): Command {
  const suffix = list ? ' (a comma list makes it an axis)' : '';
  command
    .option('--preset <id>', 'a preset network: lenet5 (= lenet5-relu), lenet5-swish, mnist-two-conv, fashion-bn-dropout, alexnet-28')
    .option('--model <file>', 'a model spec JSON file instead of a preset')
    .option('--dataset <name>', `mnist | fashion-mnist | cifar10${list ? ' (a comma list makes it an axis)' : ''}`)
    .option('--subset <n>', 'train on n training images (stratified by class)')
    .option('--test-subset <n>', 'evaluate on n test images')
    .option('--backend <name>', 'pin a backend: tensorflow | wasm | cpu')
    .option('--validation-split <f>', 'fraction of the training images held out for validation');
  for (const [flag, , description] of axisFlags) command.option(`--${flag} <value>`, description + suffix);
  return command;
}

export type RunFlagValues = Record<string, string | undefined>;

function scalar(text: string): string | number | boolean {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  return t;
}

export function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new KernelLabError('invalid_input', `--${flag}: '${text}' is not a positive whole number`);
  return n;
}

/** The base run the flags describe (preset or model file, dataset, subset, pinned hyperparameters). */
export function baseFromFlags(flags: RunFlagValues, datasetAxis: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  if (flags.preset !== undefined) base.preset = presetAliases[flags.preset] ?? flags.preset;
  if (flags.model !== undefined) {
    try {
      base.model = JSON.parse(readFileSync(flags.model, 'utf8')) as unknown;
    } catch (error) {
      throw new KernelLabError('invalid_input', `--model: cannot read ${flags.model} as JSON: ${(error as Error).message}`);
    }
  }
  if (flags.preset === undefined && flags.model === undefined) throw new KernelLabError('invalid_input', '--preset or --model is required');
  if (flags.dataset === undefined) throw new KernelLabError('invalid_input', '--dataset is required (mnist, fashion-mnist or cifar10)');
  base.dataset = datasetAxis ? flags.dataset.split(',')[0]!.trim() : flags.dataset;
  const train = positiveInt('subset', flags.subset);
  const test = positiveInt('test-subset', flags.testSubset);
  if (train !== undefined || test !== undefined)
    base.subset = { ...(train !== undefined && { train }), ...(test !== undefined && { test }) };
  const hyperparameters: Record<string, unknown> = {};
  if (flags.backend !== undefined) hyperparameters.backend = flags.backend;
  if (flags.validationSplit !== undefined) hyperparameters.validationSplit = scalar(flags.validationSplit);
  base.hyperparameters = hyperparameters;
  return base;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Axis name → values from the flags (a single value is a list of one). */
export function axesFromFlags(flags: RunFlagValues): Record<string, (string | number | boolean)[]> {
  const axes: Record<string, (string | number | boolean)[]> = {};
  for (const [flag, axis] of axisFlags) {
    const text = flags[camel(flag)];
    if (text === undefined) continue;
    const values = text.split(',').map((v) => v.trim());
    if (values.some((v) => v === '')) throw new KernelLabError('invalid_input', `--${flag}: '${text}' has an empty value`);
    axes[axis] = values.map(scalar);
  }
  return axes;
}
