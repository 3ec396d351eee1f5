/**
 * `kernellab summary`: a model's layers before (or after) training — output shape, parameters and
 * receptive field per layer — for a preset, a model spec file or a recorded run.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ModelSpecInput, ModelSummaryOutput } from '../core/contract/training.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { print, printJson } from './format.ts';
import { presetAliases, positiveInt } from './runFlags.ts';
import { table } from './runs.ts';

export interface SummaryFlags {
  preset?: string;
  model?: string;
  run?: string;
  dataset?: string;
  json?: boolean;
}

/** The layer table as `summary` prints it (and the receptive field columns beside shape and params). */
export function formatModelSummary(spec: ModelSpecInput, summary: ModelSummaryOutput): string {
  const rows = summary.rows.map((row) => {
    const field = row.receptiveField;
    return [
      row.index,
      row.type === 'output' ? 'output (softmax)' : row.type,
      row.outputShape.join('×'),
      row.params.toLocaleString('en-US'),
      field ? `${field.size}×${field.size}` : 'whole image',
      field ? field.jump : '',
      field ? String(field.start) : '',
    ];
  });
  const [h, w, c] = spec.inputShape;
  return [
    `${spec.name ?? 'model'}: input ${h}×${w}×${c}, ${spec.numClasses} classes`,
    table(['#', 'layer', 'output', 'params', 'receptive field', 'jump', 'start'], rows),
    `${summary.totalParams.toLocaleString('en-US')} parameters (${summary.trainableParams.toLocaleString('en-US')} trainable), ` +
      `${(summary.forwardFlops / 1e6).toFixed(2)} MFLOPs per image forward`,
    'receptive field: input pixels one unit sees; jump: pixels between neighbouring units; start: centre of the first unit’s field (pixel i spans [i, i+1))',
  ].join('\n');
}

export async function specFrom(service: Service, flags: SummaryFlags): Promise<ModelSpecInput> {
  const given = [flags.preset, flags.model, flags.run].filter((f) => f !== undefined).length;
  if (given !== 1) throw new KernelLabError('invalid_input', 'give exactly one of --preset, --model or --run');
  let spec: ModelSpecInput;
  if (flags.run !== undefined) {
    const run = await service.call('runs.get', { id: positiveInt('run', flags.run)! });
    spec = run.modelSpec as ModelSpecInput;
  } else if (flags.model !== undefined) {
    try {
      spec = JSON.parse(readFileSync(flags.model, 'utf8')) as ModelSpecInput;
    } catch (error) {
      throw new KernelLabError('invalid_input', `--model: cannot read ${flags.model} as JSON: ${(error as Error).message}`);
    }
  } else {
    const id = presetAliases[flags.preset!] ?? flags.preset!;
    const preset = (await service.call('training.presets', {})).find((p) => p.id === id);
    if (!preset) throw new KernelLabError('invalid_input', `--preset: '${flags.preset}' is not a preset`);
    spec = preset.spec;
  }
  if (flags.dataset !== undefined) {
    if (flags.run !== undefined) throw new KernelLabError('invalid_input', '--dataset: a recorded run keeps the dataset it trained on');
    const info = (await service.call('datasets.list', {})).datasets.find((d) => d.name === flags.dataset);
    if (!info) throw new KernelLabError('invalid_input', `--dataset: '${flags.dataset}' is not mnist, fashion-mnist or cifar10`);
    spec = { ...spec, inputShape: [info.height, info.width, info.channels], numClasses: info.classNames.length };
  }
  return spec;
}

export function registerSummary(program: Command, open: () => Service): void {
  program
    .command('summary')
    .description('layers of a model with output shape, parameters and receptive field (size, jump, start)')
    .option(
      '--preset <id>',
      'a preset network: lenet5, lenet5-swish, mnist-two-conv, fashion-bn-dropout, alexnet-28, fashion-keras-tutorial, mnist-tf1-deep, lenet5-cifar10-keras',
    )
    .option('--model <file>', 'a model spec JSON file')
    .option('--run <id>', 'the model of a recorded run')
    .option('--dataset <name>', "the input shape and classes of this dataset instead of the preset's or file's")
    .option('--json', 'print JSON')
    .action(async (flags: SummaryFlags) => {
      const service = open();
      const spec = await specFrom(service, flags);
      const summary = await service.call('training.summary', { spec });
      if (flags.json) printJson(summary);
      else print(formatModelSummary(spec, summary));
    });
}
