/**
 * `kernellab datasets ls|download|import|verify|rm`: the datasets in the data folder, through the
 * same service methods the app uses. Exit codes: 0 done, 1 failed, 2 bad input.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { DatasetName, type DatasetInfo, type DatasetProgress } from '../core/contract/datasets.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { print, printError, printJson, terminalText } from './format.ts';

/** A plain text table: a header row, columns padded to their widest cell. */
function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function parseName(value: string): DatasetName {
  const parsed = DatasetName.safeParse(value);
  if (!parsed.success)
    throw new KernelLabError('invalid_input', `'${value}' is not a dataset; expected one of ${DatasetName.options.join(', ')}`);
  return parsed.data;
}

/**
 * A download that reached no site (offline, a firewall, a mirror without the files) says how to
 * get the dataset another way: import files brought over by hand, or point at a mirror.
 */
function withOfflineHint(error: unknown, name: DatasetName): unknown {
  if (!(error instanceof KernelLabError) || error.code !== 'unavailable' || /disk is full|canceled/i.test(error.message)) return error;
  return new KernelLabError(
    'unavailable',
    `${error.message}\n` +
      `  No download site gave the files. Bring them over another way and run: kernellab datasets import <dir>\n` +
      `  (the folder with ${name}'s published files), or set KERNELLAB_DATASET_MIRROR (or --mirror) to a folder or http(s) URL that has them.`,
  );
}

function describe(d: DatasetInfo): string {
  const status = d.status === 'downloading' ? `downloading ${Math.round((d.progress ?? 0) * 100)}%` : d.status;
  return `${d.name}: ${status}${d.variant ? ` (${d.variant}, ${d.trainCount}+${d.testCount} images of ${d.height}x${d.width}x${d.channels})` : ''}`;
}

export function registerDatasets(program: Command, open: (extra?: { datasetMirror?: string }) => Service): void {
  const datasets = program
    .command('datasets')
    .description('list, download, import, verify and delete the datasets (MNIST, Fashion-MNIST, CIFAR-10)');

  datasets
    .command('ls')
    .description('the datasets and their state: absent, downloading, ready or corrupt')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { datasets: list, mirror } = await open().call('datasets.list', {});
      if (options.json) {
        printJson({ datasets: list, mirror });
        return;
      }
      print(
        table(
          ['name', 'status', 'variant', 'train', 'test', 'shape', 'on disk', 'download', 'problem'],
          list.map((d) => [
            d.name,
            d.status === 'downloading' ? `downloading ${Math.round((d.progress ?? 0) * 100)}%` : d.status,
            d.variant ?? '',
            d.trainCount,
            d.testCount,
            `${d.height}x${d.width}x${d.channels}`,
            mb(d.bytesOnDisk),
            mb(d.downloadBytes),
            d.problem ?? '',
          ]),
        ),
      );
      if (mirror) print(`\nmirror: ${mirror} (KERNELLAB_DATASET_MIRROR)`);
    });

  datasets
    .command('download')
    .description('download datasets, verify every file against its published SHA-256, resume partial downloads')
    .argument('<names...>', DatasetName.options.join(' | '))
    .option(
      '--mirror <url-or-dir>',
      'a folder, an https base URL, or http on this machine, to use instead of the home sites (default: $KERNELLAB_DATASET_MIRROR)',
    )
    .action(async (names: string[], options: { mirror?: string }) => {
      const service = open(options.mirror ? { datasetMirror: options.mirror } : {});
      const parsed = names.map(parseName);
      for (const name of parsed) {
        const bar = new SingleBar(
          {
            format: `${name} [{bar}] {percentage}% | {done}/{size} | {speed} | {file}`,
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
            speed: `${mb(p.rate)}/s`,
            file: terminalText(`${p.file} ${p.phase === 'download' ? '' : p.phase}`),
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
          print(`${describe(info)}; from ${info.source}`);
        } finally {
          if (started) bar.stop();
          unsubscribe();
          process.off('SIGINT', onSignal);
        }
      }
    });

  datasets
    .command('import')
    .description('import dataset files from disk (offline): the original .gz/.bin/.tar.gz files or folders holding them')
    .argument('<paths...>', 'files or folders')
    .option('--name <dataset>', `which dataset (${DatasetName.options.join(' | ')}); recognised from the files when left out`)
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
      for (const note of info.notes) printError(`  ${note}`);
    });

  datasets
    .command('verify')
    .description("re-hash the ready datasets' files; exit code 1 when any is corrupt")
    .argument('[names...]', 'datasets (default: every one that is on disk)')
    .action(async (names: string[]) => {
      const service = open();
      const list = (await service.call('datasets.list', {})).datasets;
      const targets = names.length > 0 ? names.map(parseName) : list.filter((d) => d.status !== 'absent').map((d) => d.name);
      const bad: string[] = [];
      for (const name of targets) {
        const result = await service.call('datasets.verify', { name });
        print(result.ok ? `${name}: ok` : `${name}: CORRUPT\n  ${result.problems.join('\n  ')}`);
        if (!result.ok) bad.push(name);
      }
      if (targets.length === 0) print('no dataset is on disk');
      if (bad.length > 0)
        throw new KernelLabError(
          'unavailable',
          `corrupt: ${bad.join(', ')} (delete with 'kernellab datasets rm' and download or import again)`,
        );
    });

  datasets
    .command('rm')
    .description("delete datasets' files, partial downloads and caches")
    .argument('<names...>', DatasetName.options.join(' | '))
    .action(async (names: string[]) => {
      const service = open();
      for (const name of names.map(parseName)) {
        const { deleted } = await service.call('datasets.delete', { name });
        print(deleted ? `${name}: deleted` : `${name}: nothing to delete`);
      }
    });
}
