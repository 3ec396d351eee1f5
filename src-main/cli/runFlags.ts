/**
 * Flags shared by `kernellab train` and `kernellab sweep`: each names a sweep axis, so a single
 * value sets it for one run and a comma list makes it an axis of a sweep.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { RunBackend } from '../core/contract/app.ts';
import { DatasetName } from '../core/contract/datasets.ts';
import { RunBase } from '../core/contract/runs.ts';
import { PresetId } from '../core/contract/training.ts';
import { invalidInput, KernelLabError } from '../core/errors.ts';
import { presets } from '../core/service.ts';
import { unknownWord } from './suggest.ts';
import { displayWidth, padEndDisplay } from './format.ts';
import { m } from '../../i18n/paraglide/messages.js';

/** Flag → axis name (the names sweep specs use), and its help (a function: the language is set after modules load). */
export const axisFlags = [
  ['kernel-size', 'kernelSize', () => m.cli_flag_kernel_size()],
  ['filters', 'filters', () => m.cli_flag_filters()],
  ['strides', 'strides', () => m.cli_flag_strides()],
  ['padding', 'padding', () => m.cli_flag_padding()],
  ['pooling', 'pooling', () => m.cli_flag_pooling()],
  ['activation', 'activation', () => m.cli_flag_activation()],
  ['epochs', 'epochs', () => m.cli_flag_epochs()],
  ['batch-size', 'batchSize', () => m.cli_flag_batch_size()],
  ['learning-rate', 'learningRate', () => m.cli_flag_learning_rate()],
  ['optimizer', 'optimizer', () => m.cli_flag_optimizer()],
  ['dropout', 'dropout', () => m.cli_flag_dropout()],
  ['seed', 'seed', () => m.cli_flag_seed()],
  ['momentum', 'momentum', () => m.cli_flag_momentum()],
  ['nesterov', 'hyperparameters.nesterov', () => m.cli_flag_nesterov()],
  ['beta1', 'hyperparameters.beta1', () => m.cli_flag_beta1()],
  ['beta2', 'hyperparameters.beta2', () => m.cli_flag_beta2()],
  ['epsilon', 'hyperparameters.epsilon', () => m.cli_flag_epsilon()],
  ['rho', 'hyperparameters.rho', () => m.cli_flag_rho()],
  ['centered', 'hyperparameters.centered', () => m.cli_flag_centered()],
  ['shuffle', 'hyperparameters.shuffle', () => m.cli_flag_shuffle()],
  ['validation-split-mode', 'hyperparameters.validationSplitMode', () => m.cli_flag_validation_split_mode()],
] as const;

/** `lenet5` is the MNIST reference network (relu); every preset id works as itself. */
export const presetAliases: Record<string, string> = { lenet5: 'lenet5-relu', lenet: 'lenet5-relu', alexnet: 'alexnet-28' };

export function addRunFlags(command: Command, list: boolean): Command {
  const suffix = list ? m.cli_flag_axis_suffix() : '';
  command
    .option('--spec <file>', m.cli_flag_spec())
    .option(
      '--preset <id>',
      m.cli_flag_preset({
        presets:
          'lenet5 (= lenet5-relu), lenet5-swish, mnist-two-conv, fashion-bn-dropout, alexnet-28, fashion-keras-tutorial, mnist-tf1-deep, lenet5-cifar10-keras',
      }),
    )
    .option('--model <file>', m.cli_flag_model())
    .option('--dataset <name>', `mnist | fashion-mnist | cifar10${suffix}`)
    .option('--subset <n>', m.cli_flag_subset())
    .option('--test-subset <n>', m.cli_flag_test_subset())
    .option('--backend <name>', `${m.cli_flag_backend()}${suffix}`)
    .option('--validation-split <f>', m.cli_flag_validation_split())
    .option('--early-stopping <monitor:patience[,option…]>', m.cli_flag_early_stopping())
    .option('--lr-schedule <type[:option=value,…]>', m.cli_flag_lr_schedule());
  for (const [flag, , description] of axisFlags) command.option(`--${flag} <value>`, description() + suffix);
  return command;
}

/** `min_delta=0.01,restore_best_weights` → { minDelta: 0.01, restoreBestWeights: true }; Keras' snake_case or camelCase keys. */
export function options(flag: string, text: string, rename: Record<string, string> = {}): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') throw new KernelLabError('invalid_input', m.cli_flags_empty_option({ flag, text }));
    const [key, ...rest] = part.split('=');
    const name = rename[key!] ?? camel(key!.replace(/_/g, '-'));
    out[name] = rest.length === 0 ? true : scalar(rest.join('='));
  }
  return out;
}

/** `--early-stopping val_loss:3,restore_best_weights` → Keras' EarlyStopping settings (the core checks names and values). */
export function earlyStoppingFlag(text: string): Record<string, unknown> {
  const [head, ...more] = text.split(',');
  const [monitor, patience, ...extra] = head!.split(':');
  if (!monitor || extra.length > 0) throw new KernelLabError('invalid_input', m.cli_flags_early_stopping_shape({ text }));
  const settings: Record<string, unknown> = { monitor: monitor.trim() };
  if (patience !== undefined) {
    const n = Number(patience);
    if (!Number.isInteger(n) || n < 0) throw new KernelLabError('invalid_input', m.cli_flags_early_stopping_patience({ patience }));
    settings.patience = n;
  }
  return { ...settings, ...(more.length > 0 ? options('early-stopping', more.join(',')) : {}) };
}

/** `--lr-schedule cosine:decay_steps=5000` → a learning-rate schedule (the core checks names and values). */
export function lrScheduleFlag(text: string): Record<string, unknown> {
  const colon = text.indexOf(':');
  const type = (colon === -1 ? text : text.slice(0, colon)).trim();
  const rest = colon === -1 ? '' : text.slice(colon + 1);
  if (type === '') throw new KernelLabError('invalid_input', m.cli_flags_lr_schedule_none({ text }));
  return { type, ...(rest.trim() === '' ? {} : options('lr-schedule', rest, { every: 'everyEpochs', every_epochs: 'everyEpochs' })) };
}

/** A run file (`--spec`): a sweep's base in YAML or JSON, checked by the same schema; errors name the file and field. */
export function readRunFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KernelLabError(
      'invalid_input',
      m.cli_flags_spec_cannot_read({ path, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message }),
    );
  }
  let data: unknown;
  try {
    data = path.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new KernelLabError(
      'invalid_input',
      m.cli_flags_spec_not_valid({
        path,
        kind: path.toLowerCase().endsWith('.json') ? 'JSON' : m.cli_flags_yaml_or_json(),
        reason: (error as Error).message.split('\n')[0]!,
      }),
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new KernelLabError(
      'invalid_input',
      m.cli_flags_spec_must_hold_run({ path, what: Array.isArray(data) ? m.cli_flags_a_list() : typeof data }),
    );
  // Checked as a base whose dataset and model may still come from flags.
  const parsed = RunBase.safeParse({ dataset: 'mnist', preset: 'lenet5-relu', ...data, ...('model' in data ? { preset: undefined } : {}) });
  if (!parsed.success) throw invalidInput(`run file ${path}`, parsed.error);
  return data as Record<string, unknown>;
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
  if (!Number.isInteger(n) || n <= 0) throw new KernelLabError('invalid_input', m.cli_flags_not_positive({ flag, text }));
  return n;
}

/** The base run the flags describe (a run file, preset or model file, dataset, subset, pinned hyperparameters); flags override the file. */
export function baseFromFlags(flags: RunFlagValues, datasetAxis: boolean): Record<string, unknown> {
  const file = flags.spec !== undefined ? readRunFile(flags.spec) : {};
  const base: Record<string, unknown> = { ...file };
  if (flags.preset !== undefined) {
    const preset = presetAliases[flags.preset] ?? flags.preset;
    if (!PresetId.safeParse(preset).success)
      throw new KernelLabError(
        'invalid_input',
        unknownWord('preset', m.cli_flags_what_preset(), flags.preset, [...Object.keys(presetAliases), ...PresetId.options]),
      );
    base.preset = preset;
    delete base.model;
  }
  if (flags.model !== undefined) {
    try {
      base.model = JSON.parse(readFileSync(flags.model, 'utf8')) as unknown;
    } catch (error) {
      throw new KernelLabError('invalid_input', m.cli_flags_model_cannot_read({ file: flags.model, reason: (error as Error).message }));
    }
    delete base.preset;
  }
  if (base.preset === undefined && base.model === undefined) throw new KernelLabError('invalid_input', m.cli_flags_source_required());
  if (flags.dataset !== undefined) {
    const datasets = datasetAxis ? flags.dataset.split(',').map((d) => d.trim()) : [flags.dataset];
    for (const name of datasets)
      if (!DatasetName.safeParse(name).success)
        throw new KernelLabError('invalid_input', unknownWord('dataset', m.cli_flags_what_dataset(), name, DatasetName.options));
    base.dataset = datasets[0];
  }
  if (base.dataset === undefined) throw new KernelLabError('invalid_input', m.cli_flags_dataset_required());
  const train = positiveInt('subset', flags.subset);
  const test = positiveInt('test-subset', flags.testSubset);
  if (train !== undefined || test !== undefined)
    base.subset = { ...(base.subset as object | undefined), ...(train !== undefined && { train }), ...(test !== undefined && { test }) };
  const hyperparameters: Record<string, unknown> = { ...(file.hyperparameters as Record<string, unknown> | undefined) };
  if (flags.backend !== undefined) {
    // Like --dataset: in a sweep a comma list is an axis (sweep.ts), the base takes the first.
    const backends = datasetAxis ? flags.backend.split(',').map((b) => b.trim()) : [flags.backend];
    for (const name of backends)
      if (!RunBackend.safeParse(name).success)
        throw new KernelLabError('invalid_input', unknownWord('backend', m.cli_flags_what_backend(), name, RunBackend.options));
    hyperparameters.backend = backends[0];
  }
  if (flags.validationSplit !== undefined) hyperparameters.validationSplit = scalar(flags.validationSplit);
  if (flags.earlyStopping !== undefined) hyperparameters.earlyStopping = earlyStoppingFlag(flags.earlyStopping);
  if (flags.lrSchedule !== undefined) hyperparameters.lrSchedule = lrScheduleFlag(flags.lrSchedule);
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
    if (values.some((v) => v === '')) throw new KernelLabError('invalid_input', m.cli_flags_empty_value({ flag, text }));
    axes[axis] = values.map(scalar);
  }
  return axes;
}

/**
 * What `--help` adds after the flags: the value each flag left out takes (per preset, as the
 * presets define them), and an example to start from.
 */
export function runHelpText(command: 'train' | 'sweep'): string {
  // The first alias of a preset is the name to show (lenet5 for lenet5-relu).
  const alias: Record<string, string> = {};
  for (const [name, id] of Object.entries(presetAliases)) alias[id] ??= name;
  const rows = presets.map((p) => [
    alias[p.id] ? `${alias[p.id]} (${p.id})` : p.id,
    String(p.hyperparameters.epochs),
    String(p.hyperparameters.batchSize),
    String(p.hyperparameters.learningRate),
    String(p.hyperparameters.validationSplit),
  ]);
  const headers = [
    m.cli_run_help_header_preset(),
    m.cli_run_help_header_epochs(),
    m.cli_run_help_header_batch_size(),
    m.cli_run_help_header_learning_rate(),
    m.cli_run_help_header_validation_split(),
  ];
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]!))));
  const line = (cells: string[]) => `  ${cells.map((c, i) => padEndDisplay(c, widths[i]!)).join('  ')}`.trimEnd();
  const example =
    command === 'train'
      ? 'kernellab train --preset lenet5 --dataset mnist --kernel-size 3 --epochs 2 --subset 6000'
      : 'kernellab sweep --preset lenet5 --dataset mnist --subset 6000 --kernel-size 3,5,7 --epochs 2,4,6';
  return [
    '',
    m.cli_run_help_defaults(),
    line(headers),
    ...rows.map(line),
    m.cli_run_help_model(),
    m.cli_run_help_subset(),
    m.cli_run_help_backend(),
    m.cli_run_help_gpu(),
    '',
    m.cli_run_help_example(),
    `  ${example}`,
    '',
  ].join('\n');
}
