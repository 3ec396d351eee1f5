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
import { print, printData, printError, printJson } from './format.ts';
import { positiveInt, presetAliases } from './runFlags.ts';
import { formatModelSummary, specFrom, type SummaryFlags } from './summary.ts';

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
      `cannot write ${what} to ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** The run file `kernellab train --spec` reads: a sweep's base, with the compile settings as hyperparameters. */
function runSpecOf(result: KerasImportResult, dataset: string): string {
  const run = { model: result.spec, dataset, hyperparameters: result.hyperparameters };
  return `# ${result.source}, imported by kernellab import keras. Add epochs, batchSize, validationSplit… and train it:\n#   kernellab train --spec <this file>\n${toYaml(run)}`;
}

export function registerKeras(program: Command, open: () => Service): void {
  program
    .command('import')
    .description('bring a model from another tool')
    .command('keras')
    .description('a Keras model (model.to_json(), or a .keras file) as a KernelLab model spec; what cannot be trained is refused by name')
    .argument('<file>', 'the JSON of model.to_json(), or a .keras file')
    .option('--out <file>', 'write the model spec (JSON) here, for --model')
    .option('--run-spec <file>', 'write a run file (YAML: model, dataset, the compile settings as hyperparameters) for train --spec')
    .option('--dataset <name>', 'the dataset of the run file: mnist | fashion-mnist | cifar10')
    .option('--layers-only', "import the layers alone, without the optimizer and loss of the file's compile settings")
    .option('--json', 'print the import (spec, hyperparameters, notes, source) as JSON')
    .action(async (file: string, flags: ImportFlags) => {
      if (flags.runSpec !== undefined && flags.dataset === undefined)
        throw new KernelLabError(
          'invalid_input',
          '--run-spec: name the dataset the run trains on with --dataset (mnist, fashion-mnist or cifar10)',
        );
      const { text } = await readKerasFile(file);
      const service = open();
      const result = await service.call('training.importKeras', { json: text, layersOnly: flags.layersOnly === true });
      if (flags.runSpec !== undefined) {
        // A run's model takes its dataset's image shape: one the layers cannot take is refused now, not at train.
        const info = (await service.call('datasets.list', {})).datasets.find((d) => d.name === flags.dataset);
        if (!info) throw new KernelLabError('invalid_input', `--dataset: '${flags.dataset}' is not mnist, fashion-mnist or cifar10`);
        await service.call('training.summary', {
          spec: { ...result.spec, inputShape: [info.height, info.width, info.channels], numClasses: info.classNames.length },
        });
        write(flags.runSpec, runSpecOf(result, flags.dataset!), 'the run file');
      }
      if (flags.out !== undefined) write(flags.out, JSON.stringify(result.spec, null, 2), 'the model spec');
      if (flags.json) {
        printJson(result);
        return;
      }
      const summary = await service.call('training.summary', { spec: result.spec });
      print(`${result.source} → KernelLab model '${result.spec.name}'`);
      print(formatModelSummary(result.spec, summary));
      for (const note of result.notes) print(`note: ${note}`);
      if (flags.out !== undefined) print(`model spec written to ${flags.out} (kernellab train --model ${flags.out} --dataset …)`);
      if (flags.runSpec !== undefined) print(`run file written to ${flags.runSpec} (kernellab train --spec ${flags.runSpec})`);
      if (flags.out === undefined && flags.runSpec === undefined)
        print('write it with --out <model.json> or --run-spec <run.yaml> --dataset <name>');
    });

  program
    .command('export')
    .description('hand a model to another tool')
    .command('keras')
    .description('a preset, model spec or recorded run as Keras JSON for keras.models.model_from_json (compiled with its optimizer)')
    .option('--preset <id>', 'a preset network (with its hyperparameters)')
    .option('--model <file>', 'a model spec JSON file')
    .option('--run <id>', 'the model and hyperparameters of a recorded run')
    .option('--dataset <name>', "the input shape and classes of this dataset instead of the preset's or file's")
    .option('--out <file>', 'write the Keras JSON here instead of stdout')
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
      const { json, notes } = await service.call('training.exportKeras', {
        spec: spec as never,
        ...(hyperparameters ? { hyperparameters } : {}),
      });
      if (flags.out !== undefined) {
        write(flags.out, json, 'the Keras JSON');
        print(`Keras JSON written to ${flags.out}: keras.models.model_from_json(open('${flags.out}').read())`);
        for (const note of notes) print(`note: ${note}`);
      } else {
        printData(json);
        for (const note of notes) printError(`note: ${note}`);
      }
    });
}
