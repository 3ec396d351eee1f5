/**
 * `kernellab datasets ls|download|import|verify|rm`: the datasets in the data folder, through the
 * same service methods the app uses. Exit codes: 0 done, 1 failed, 2 bad input.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { DatasetName, type DatasetInfo, type DatasetProgress } from '../core/contract/datasets.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { print, printError, printJson, terminalText, textTable } from './format.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { getLocale, type Locale } from '../../i18n/paraglide/runtime.js';
import { errorText, storedProblems, storedSentence } from './errorText.ts';
import { datasetSourceText } from '../../i18n/coreText.ts';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The bar of `datasets download`, as cli-progress takes it ({bar}, {percentage} … are its placeholders). */
export function downloadBarFormat(dataset: string): string {
  return m.cli_datasets_download_bar({
    dataset,
    bar: '{bar}',
    percentage: '{percentage}',
    done: '{done}',
    size: '{size}',
    speed: '{speed}',
    file: '{file}',
  });
}

/** What the download is doing, after the file's name (nothing while it downloads: the bar says so). */
export function downloadPhaseWord(phase: DatasetProgress['phase'], locale: Locale = getLocale()): string {
  const words: Record<DatasetProgress['phase'], () => string> = {
    download: () => '',
    verify: () => m.cli_datasets_download_phase_verify({}, { locale }),
    extract: () => m.cli_datasets_download_phase_extract({}, { locale }),
    done: () => m.cli_datasets_download_phase_done({}, { locale }),
    failed: () => m.cli_datasets_download_phase_failed({}, { locale }),
    canceled: () => m.cli_datasets_download_phase_canceled({}, { locale }),
  };
  return words[phase]();
}

function parseName(value: string): DatasetName {
  const parsed = DatasetName.safeParse(value);
  if (!parsed.success)
    throw new KernelLabError('invalid_input', m.cli_datasets_not_a_dataset({ value, names: DatasetName.options.join(', ') }));
  return parsed.data;
}

/**
 * A download that reached no site (offline, a firewall, a mirror without the files) says how to
 * get the dataset another way: import files brought over by hand, or point at a mirror.
 */
function withOfflineHint(error: unknown, name: DatasetName): unknown {
  if (!(error instanceof KernelLabError) || error.code !== 'unavailable' || /disk is full|canceled/i.test(error.message)) return error;
  return new KernelLabError('unavailable', `${errorText(error)}\n  ${m.cli_datasets_offline_hint({ name })}`);
}

/** A dataset's state in the CLI's language, the words the page's badges use (English: the state's own name); --json keeps the name. */
function statusWord(d: DatasetInfo): string {
  switch (d.status) {
    case 'absent':
      return m.status_absent();
    case 'ready':
      return m.status_ready();
    case 'corrupt':
      return m.status_corrupt();
    case 'downloading':
      return `${m.status_downloading()} ${Math.round((d.progress ?? 0) * 100)}%`;
  }
}

function describe(d: DatasetInfo): string {
  const status = statusWord(d);
  const images = d.variant
    ? ` (${m.cli_datasets_images({ variant: d.variant, train: d.trainCount, test: d.testCount, shape: `${d.height}x${d.width}x${d.channels}` })})`
    : '';
  return `${d.name}: ${status}${images}`;
}

export function registerDatasets(program: Command, open: (extra?: { datasetMirror?: string }) => Service): void {
  const datasets = program.command('datasets').description(m.cli_datasets_description());

  datasets
    .command('ls')
    .description(m.cli_datasets_ls_description())
    .option('--json', m.cli_option_json())
    .action(async (options: { json?: boolean }) => {
      const { datasets: list, mirror } = await open().call('datasets.list', {});
      if (options.json) {
        printJson({ datasets: list, mirror });
        return;
      }
      print(
        textTable(
          [
            m.cli_datasets_header_name(),
            m.cli_datasets_header_status(),
            m.cli_datasets_header_variant(),
            m.cli_datasets_header_train(),
            m.cli_datasets_header_test(),
            m.cli_datasets_header_shape(),
            m.cli_datasets_header_on_disk(),
            m.cli_datasets_header_download(),
            m.cli_datasets_header_problem(),
          ],
          list.map((d) => [
            d.name,
            statusWord(d),
            d.variant ?? '',
            String(d.trainCount),
            String(d.testCount),
            `${d.height}x${d.width}x${d.channels}`,
            mb(d.bytesOnDisk),
            mb(d.downloadBytes),
            d.problem ? (d.problemCodes ? storedProblems(d.problemCodes, d.problem) : storedSentence(d.problemCode, d.problem)) : '',
          ]),
        ),
      );
      if (mirror) print(`\n${m.cli_datasets_mirror({ mirror })}`);
    });

  datasets
    .command('download')
    .description(m.cli_datasets_download_description())
    .argument('<names...>', DatasetName.options.join(' | '))
    .option('--mirror <url-or-dir>', m.cli_datasets_option_mirror())
    .action(async (names: string[], options: { mirror?: string }) => {
      const service = open(options.mirror ? { datasetMirror: options.mirror } : {});
      const parsed = names.map(parseName);
      for (const name of parsed) {
        const bar = new SingleBar(
          {
            // cli-progress fills these placeholders in: the message keeps them as they are.
            format: downloadBarFormat(name),
            hideCursor: true,
            etaBuffer: 20,
            noTTYOutput: true,
            notTTYSchedule: 5000,
          },
          Presets.shades_classic,
        );
        let started = false;
        const unsubscribe = service.events.subscribe((event) => {
          if (event.name !== 'dataset.progress') return;
          const p = event.payload as DatasetProgress;
          if (p.dataset !== name) return;
          const payload = {
            done: mb(p.bytes),
            size: mb(p.total),
            speed: m.cli_datasets_download_speed({ rate: mb(p.rate) }),
            file: terminalText(`${p.file} ${downloadPhaseWord(p.phase)}`),
          };
          if (!started) {
            bar.start(p.total, p.bytes, payload);
            started = true;
          } else bar.update(p.bytes, payload);
        });
        const onSignal = () => void service.call('datasets.cancel', { name });
        process.once('SIGINT', onSignal);
        try {
          const info = await service.call('datasets.download', { name, wait: true }).catch((error: unknown) => {
            throw withOfflineHint(error, name);
          });
          if (started) bar.stop();
          print(m.cli_datasets_downloaded({ dataset: describe(info), source: datasetSourceText(String(info.source)) }));
        } finally {
          if (started) bar.stop();
          unsubscribe();
          process.off('SIGINT', onSignal);
        }
      }
    });

  datasets
    .command('import')
    .description(m.cli_datasets_import_description())
    .argument('<paths...>', m.cli_datasets_argument_paths())
    .option('--name <dataset>', m.cli_datasets_option_name({ names: DatasetName.options.join(' | ') }))
    .action(async (paths: string[], options: { name?: string }) => {
      // Ctrl-C stops the import cleanly: no half-copied file, no empty folder left behind.
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      let info;
      try {
        info = await open().call(
          'datasets.import',
          { paths, ...(options.name ? { name: parseName(options.name) } : {}) },
          { signal: controller.signal },
        );
      } finally {
        process.off('SIGINT', onSignal);
      }
      print(describe(info));
      info.notes.forEach((note, i) => printError(`  ${storedSentence(info.noteCodes?.[i], note)}`));
    });

  datasets
    .command('verify')
    .description(m.cli_datasets_verify_description())
    .argument('[names...]', m.cli_datasets_argument_names_default())
    .action(async (names: string[]) => {
      const service = open();
      const list = (await service.call('datasets.list', {})).datasets;
      const targets = names.length > 0 ? names.map(parseName) : list.filter((d) => d.status !== 'absent').map((d) => d.name);
      const bad: string[] = [];
      for (const name of targets) {
        const result = await service.call('datasets.verify', { name });
        const problems = result.problems.map((p, i) => storedSentence(result.problemCodes?.[i], p));
        print(result.ok ? m.cli_datasets_verify_ok({ name }) : [m.cli_datasets_verify_corrupt({ name }), ...problems].join('\n  '));
        if (!result.ok) bad.push(name);
      }
      if (targets.length === 0) print(m.cli_datasets_none_on_disk());
      if (bad.length > 0) throw new KernelLabError('unavailable', m.cli_datasets_corrupt({ names: bad.join(', ') }));
    });

  datasets
    .command('rm')
    .description(m.cli_datasets_rm_description())
    .argument('<names...>', DatasetName.options.join(' | '))
    .action(async (names: string[]) => {
      const service = open();
      for (const name of names.map(parseName)) {
        const { deleted } = await service.call('datasets.delete', { name });
        print(deleted ? m.cli_datasets_deleted({ name }) : m.cli_datasets_nothing_to_delete({ name }));
      }
    });
}
