/**
 * `kernellab import keras <file>` and `kernellab export keras`: a Keras notebook's model as a
 * KernelLab model spec (and a run file to train it), and a KernelLab model as the Keras JSON
 * `keras.models.model_from_json` loads.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import type { Hyperparameters, KerasImportResult } from '../core/contract/training.ts';
import { KernelLabError } from '../core/errors.ts';
import { readKerasFile, type Service } from '../core/service.ts';
import { storedSentence } from './errorText.ts';
import { print, printData, printError, printJson } from './format.ts';
import { positiveInt, presetAliases } from './runFlags.ts';
import { formatModelSummary, specFrom, type SummaryFlags } from './summary.ts';
import { m } from '../../i18n/paraglide/messages.js';

interface ImportFlags {
  out?: string;
  runSpec?: string;
  dataset?: string;
  layersOnly?: boolean;
  json?: boolean;
}

function write(path: string, content: string, what: string): void {
  try {
    writeFileSync(path, content.endsWith('\n') ? content : `${content}\n`);
  } catch (error) {
    throw new KernelLabError(
      'invalid_input',
      m.cli_keras_cannot_write({ what, path, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message }),
    );
  }
}

/** The run file `kernellab train --spec` reads: a sweep's base, with the compile settings as hyperparameters. */
function runSpecOf(result: KerasImportResult, dataset: string): string {
  const run = { model: result.spec, dataset, hyperparameters: result.hyperparameters };
  return `${m.cli_keras_run_spec_comment({ source: result.source })}\n#   kernellab train --spec <this file>\n${toYaml(run)}`;
}

export function registerKeras(program: Command, open: () => Service): void {
  program
    .command('import')
    .description(m.cli_keras_import_description())
    .command('keras')
    .description(m.cli_keras_import_keras_description())
    .argument('<file>', m.cli_keras_argument_file())
    .option('--out <file>', m.cli_keras_option_out())
    .option('--run-spec <file>', m.cli_keras_option_run_spec())
    .option('--dataset <name>', m.cli_keras_option_dataset())
    .option('--layers-only', m.cli_keras_option_layers_only())
    .option('--json', m.cli_keras_option_json())
    .action(async (file: string, flags: ImportFlags) => {
      if (flags.runSpec !== undefined && flags.dataset === undefined)
        throw new KernelLabError('invalid_input', m.cli_keras_run_spec_needs_dataset());
      const { text } = await readKerasFile(file);
      const service = open();
      const result = await service.call('training.importKeras', { json: text, layersOnly: flags.layersOnly === true });
      if (flags.runSpec !== undefined) {
        // A run's model takes its dataset's image shape: one the layers cannot take is refused now, not at train.
        const info = (await service.call('datasets.list', {})).datasets.find((d) => d.name === flags.dataset);
        if (!info) throw new KernelLabError('invalid_input', m.cli_keras_not_a_dataset({ value: flags.dataset! }));
        await service.call('training.summary', {
          spec: { ...result.spec, inputShape: [info.height, info.width, info.channels], numClasses: info.classNames.length },
        });
        write(flags.runSpec, runSpecOf(result, flags.dataset!), m.cli_keras_what_run_file());
      }
      if (flags.out !== undefined) write(flags.out, JSON.stringify(result.spec, null, 2), m.cli_keras_what_model_spec());
      if (flags.json) {
        printJson(result);
        return;
      }
      const summary = await service.call('training.summary', { spec: result.spec });
      print(m.cli_keras_imported({ source: result.source, name: result.spec.name }));
      print(formatModelSummary(result.spec, summary));
      result.notes.forEach((note, i) => print(m.cli_keras_note({ note: storedSentence(result.noteCodes?.[i], note) })));
      if (flags.out !== undefined) print(m.cli_keras_spec_written({ file: flags.out }));
      if (flags.runSpec !== undefined) print(m.cli_keras_run_file_written({ file: flags.runSpec }));
      if (flags.out === undefined && flags.runSpec === undefined) print(m.cli_keras_write_it());
    });

  program
    .command('export')
    .description(m.cli_keras_export_description())
    .command('keras')
    .description(m.cli_keras_export_keras_description())
    .option('--preset <id>', m.cli_keras_option_preset())
    .option('--model <file>', m.cli_keras_option_model())
    .option('--run <id>', m.cli_keras_option_run())
    .option('--dataset <name>', m.cli_keras_option_export_dataset())
    .option('--out <file>', m.cli_keras_option_export_out())
    .action(async (flags: SummaryFlags & { out?: string }) => {
      const service = open();
      const spec = await specFrom(service, flags);
      let hyperparameters: Hyperparameters | undefined;
      if (flags.run !== undefined)
        hyperparameters = (await service.call('runs.get', { id: positiveInt('run', flags.run)! })).hyperparameters as Hyperparameters;
      else if (flags.preset !== undefined) {
        const id = presetAliases[flags.preset] ?? flags.preset;
        hyperparameters = (await service.call('training.presets', {})).find((p) => p.id === id)?.hyperparameters;
      }
      const { json, notes, noteCodes } = await service.call('training.exportKeras', {
        spec: spec as never,
        ...(hyperparameters ? { hyperparameters } : {}),
      });
      if (flags.out !== undefined) {
        write(flags.out, json, m.cli_keras_what_keras_json());
        print(m.cli_keras_exported({ file: flags.out }));
        notes.forEach((note, i) => print(m.cli_keras_note({ note: storedSentence(noteCodes?.[i], note) })));
      } else {
        printData(json);
        notes.forEach((note, i) => printError(m.cli_keras_note({ note: storedSentence(noteCodes?.[i], note) })));
      }
    });
}
