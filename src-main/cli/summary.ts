/**
 * `kernellab summary`: a model's layers before (or after) training — output shape, parameters and
 * receptive field per layer — for a preset, a model spec file or a recorded run.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PresetId, type ModelSpecInput, type ModelSummaryOutput } from '../core/contract/training.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { print, printJson } from './format.ts';
import { presetAliases, positiveInt } from './runFlags.ts';
import { m } from '../../i18n/paraglide/messages.js';
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
      row.type === 'output' ? m.cli_summary_output_softmax() : row.type,
      row.outputShape.join('×'),
      row.params.toLocaleString('en-US'),
      field ? `${field.size}×${field.size}` : m.cli_summary_whole_image(),
      field ? field.jump : '',
      field ? String(field.start) : '',
    ];
  });
  const [h, w, c] = spec.inputShape;
  return [
    m.cli_summary_head({ name: spec.name ?? 'model', shape: `${h}×${w}×${c}`, classes: spec.numClasses }),
    table(
      [
        '#',
        m.cli_summary_header_layer(),
        m.cli_summary_header_output(),
        m.cli_summary_header_params(),
        m.cli_summary_header_receptive_field(),
        m.cli_summary_header_jump(),
        m.cli_summary_header_start(),
      ],
      rows,
    ),
    m.cli_summary_totals({
      total: summary.totalParams.toLocaleString('en-US'),
      trainable: summary.trainableParams.toLocaleString('en-US'),
      mflops: (summary.forwardFlops / 1e6).toFixed(2),
    }),
    m.cli_summary_legend(),
  ].join('\n');
}

export async function specFrom(service: Service, flags: SummaryFlags): Promise<ModelSpecInput> {
  const given = [flags.preset, flags.model, flags.run].filter((f) => f !== undefined).length;
  if (given !== 1) throw new KernelLabError('invalid_input', m.cli_summary_one_source());
  let spec: ModelSpecInput;
  if (flags.run !== undefined) {
    const run = await service.call('runs.get', { id: positiveInt('run', flags.run)! });
    spec = run.modelSpec as ModelSpecInput;
  } else if (flags.model !== undefined) {
    try {
      spec = JSON.parse(readFileSync(flags.model, 'utf8')) as ModelSpecInput;
    } catch (error) {
      throw new KernelLabError('invalid_input', m.cli_summary_model_not_json({ file: flags.model, reason: (error as Error).message }));
    }
  } else {
    const id = presetAliases[flags.preset!] ?? flags.preset!;
    const preset = (await service.call('training.presets', {})).find((p) => p.id === id);
    if (!preset) throw new KernelLabError('invalid_input', m.cli_summary_not_preset({ preset: flags.preset! }));
    spec = preset.spec;
  }
  if (flags.dataset !== undefined) {
    if (flags.run !== undefined) throw new KernelLabError('invalid_input', m.cli_summary_run_keeps_dataset());
    const info = (await service.call('datasets.list', {})).datasets.find((d) => d.name === flags.dataset);
    if (!info) throw new KernelLabError('invalid_input', m.cli_summary_not_dataset({ dataset: flags.dataset }));
    spec = { ...spec, inputShape: [info.height, info.width, info.channels], numClasses: info.classNames.length };
  }
  return spec;
}

export function registerSummary(program: Command, open: () => Service): void {
  program
    .command('summary')
    .description(m.cli_summary_description())
    .option(
      '--preset <id>',
      m.cli_summary_option_preset({ presets: ['lenet5', ...PresetId.options.filter((id) => id !== 'lenet5-relu')].join(', ') }),
    )
    .option('--model <file>', m.cli_summary_option_model())
    .option('--run <id>', m.cli_summary_option_run())
    .option('--dataset <name>', m.cli_summary_option_dataset())
    .option('--json', m.cli_option_json())
    .action(async (flags: SummaryFlags) => {
      const service = open();
      const spec = await specFrom(service, flags);
      const summary = await service.call('training.summary', { spec });
      if (flags.json) printJson(summary);
      else print(formatModelSummary(spec, summary));
    });
}
