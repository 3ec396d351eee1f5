import { rmSync } from 'node:fs';
import { KernelLabError } from '../errors.ts';
import type { Handlers } from '../contract/define.ts';
import type { DatasetInfo, DatasetProgress, Methods } from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';
import { downloadDataset, downloadLockHolder } from './download.ts';
import { installFromFiles } from './install.ts';
import { parseMirror } from './mirror.ts';
import { loadSplit } from './load.ts';
import { datasetDir } from './manifest.ts';
import { encodePng } from './png.ts';
import { datasetNames, downloadBytes, registry, type DatasetName } from './registry.ts';
import { bytesOnDisk, diskState, verifyDataset } from './status.ts';

type DatasetMethods =
  | 'datasets.list'
  | 'datasets.download'
  | 'datasets.cancel'
  | 'datasets.import'
  | 'datasets.delete'
  | 'datasets.verify'
  | 'datasets.samples';

interface ActiveDownload {
  controller: AbortController;
  progress: DatasetProgress | undefined;
  done: Promise<unknown>;
}

export interface DatasetsConfig {
  /** A mirror set for this service (`kernellab datasets download --mirror`); wins over the environment. */
  mirror?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export function datasetsHandlers(ctx: ServiceContext, config: DatasetsConfig = {}): Handlers<Pick<Methods, DatasetMethods>> {
  const root = ctx.layout.datasets;
  const active = new Map<DatasetName, ActiveDownload>();
  /** Why the last download of a dataset failed, shown while it is absent. */
  const lastFailure = new Map<DatasetName, string>();
  const env = config.env ?? process.env;
  // The mirror is configuration of this machine, read once; a request cannot name one (see mirror.ts).
  const configured = config.mirror?.trim()
    ? { value: config.mirror.trim(), from: '--mirror' }
    : env.KERNELLAB_DATASET_MIRROR?.trim()
      ? { value: env.KERNELLAB_DATASET_MIRROR.trim(), from: 'KERNELLAB_DATASET_MIRROR' }
      : undefined;
  /** Imports in progress, by dataset: datasets.cancel stops them. */
  const importing = new Map<DatasetName, AbortController>();

  const info = (name: DatasetName): DatasetInfo => {
    const def = registry[name];
    const disk = diskState(root, name);
    const download = active.get(name);
    // Another process (the CLI while the app is open, say) may be downloading into the same folder.
    const elsewhere = download ? undefined : downloadLockHolder(root, name);
    const variant = disk.state === 'ready' ? def.variants.find((v) => v.id === disk.manifest.variant) : undefined;
    const splits = (variant ?? def.variants[0]!).splits;
    const progress = download?.progress;
    const onDisk = bytesOnDisk(root, name);
    return {
      name,
      title: def.title,
      homepage: def.homepage,
      classNames: def.classNames,
      height: def.height,
      width: def.width,
      channels: def.channels,
      trainCount: splits.train.count,
      testCount: splits.test.count,
      status: download || elsewhere ? 'downloading' : disk.state,
      progress: download
        ? progress && progress.total > 0
          ? progress.bytes / progress.total
          : 0
        : elsewhere
          ? Math.min(1, onDisk / downloadBytes(def))
          : null,
      variant: disk.state === 'ready' ? disk.manifest.variant : null,
      source: disk.state === 'ready' ? disk.manifest.source : null,
      bytesOnDisk: onDisk,
      downloadBytes: downloadBytes(def),
      problem: disk.state === 'corrupt' ? disk.problem : disk.state === 'absent' ? (lastFailure.get(name) ?? null) : null,
    };
  };

  const emit = (progress: DatasetProgress) => ctx.events.emit('dataset.progress', progress);

  return {
    'datasets.list': () => ({ datasets: datasetNames.map(info), mirror: configured?.value ?? null }),

    'datasets.download': async ({ name, wait }) => {
      const mirror = configured ? parseMirror(configured.value, configured.from) : undefined;
      if (importing.has(name)) throw new KernelLabError('conflict', `${name} is being imported; cancel the import before downloading`);
      if (active.has(name)) {
        if (wait) await active.get(name)!.done.catch(() => undefined);
        return info(name);
      }
      const controller = new AbortController();
      // A download stops with the service (kernellab serve's SIGTERM), keeping its partial file.
      ctx.closing.addEventListener('abort', () => controller.abort(), { once: true, signal: controller.signal });
      const entry: ActiveDownload = { controller, progress: undefined, done: Promise.resolve() };
      lastFailure.delete(name);
      const run = downloadDataset(root, name, {
        mirror,
        signal: controller.signal,
        onProgress: (p) => {
          entry.progress = p;
          emit(p);
        },
      });
      entry.done = run;
      active.set(name, entry);
      const settled = run.then(
        () => undefined,
        (error: Error) => {
          const canceledNow = controller.signal.aborted;
          if (!canceledNow) lastFailure.set(name, error.message);
          const last = entry.progress;
          emit({
            dataset: name,
            file: last?.file ?? '',
            bytes: last?.bytes ?? 0,
            total: last?.total ?? downloadBytes(registry[name]),
            rate: last?.rate ?? 0,
            phase: canceledNow ? 'canceled' : 'failed',
            message: error.message,
          });
          return error;
        },
      );
      void settled.finally(() => active.delete(name));
      if (wait) {
        const error = await settled;
        active.delete(name);
        if (error) throw error;
      }
      return info(name);
    },

    'datasets.cancel': async ({ name }) => {
      const running = importing.get(name);
      if (running) {
        running.abort();
        return { canceled: true };
      }
      const download = active.get(name);
      if (!download) return { canceled: false };
      download.controller.abort();
      await download.done.catch(() => undefined);
      active.delete(name);
      return { canceled: true };
    },

    'datasets.import': async ({ name, paths }, { signal }) => {
      // Without a name, every dataset whose files are there is imported (a folder may hold several).
      const names = name ? [name] : [...datasetNames];
      const refusals: string[] = [];
      const imported: DatasetName[] = [];
      const notes = new Set<string>();
      for (const candidate of names) {
        if (active.has(candidate) || importing.has(candidate) || downloadLockHolder(root, candidate) !== undefined) {
          const what = importing.has(candidate) ? 'being imported' : 'downloading';
          if (name) throw new KernelLabError('conflict', `${candidate} is ${what}; cancel it before importing`);
          refusals.push(`${candidate}: ${what}`);
          continue;
        }
        // Stops when the caller leaves, the service closes, or datasets.cancel names it.
        const controller = new AbortController();
        importing.set(candidate, controller);
        try {
          const done = await installFromFiles(root, candidate, paths, { signal: AbortSignal.any([signal, controller.signal]) });
          done.notes.forEach((n) => notes.add(n));
          imported.push(candidate);
        } catch (error) {
          if (name || !(error instanceof KernelLabError) || error.code !== 'invalid_input') throw error;
          refusals.push(`${candidate}: ${error.message}`);
        } finally {
          importing.delete(candidate);
        }
      }
      if (imported.length === 0)
        throw new KernelLabError('invalid_input', `the files are not a dataset KernelLab knows (${refusals.join('; ')})`);
      return { ...info(imported[0]!), notes: [...notes] };
    },

    'datasets.delete': ({ name }) => {
      const holder = downloadLockHolder(root, name);
      if (active.has(name) || holder !== undefined)
        throw new KernelLabError(
          'conflict',
          `${name} is downloading${holder !== undefined && !active.has(name) ? ` in another KernelLab process (pid ${holder})` : ''}; cancel it before deleting`,
        );
      const existed = bytesOnDisk(root, name) > 0;
      rmSync(datasetDir(root, name), { recursive: true, force: true });
      lastFailure.delete(name);
      return { deleted: existed };
    },

    'datasets.verify': async ({ name }) => {
      const problems = await verifyDataset(root, name);
      return { name, ok: problems.length === 0, problems };
    },

    'datasets.samples': async ({ name, split, perClass, indices }) => {
      const data = await loadSplit(root, name, split);
      const size = data.height * data.width * data.channels;
      const toPng = (i: number) =>
        `data:image/png;base64,${encodePng(data.images.subarray(i * size, (i + 1) * size), data.width, data.height, data.channels === 1 ? 1 : 3).toString('base64')}`;
      if (indices) {
        const outside = indices.findIndex((i) => i >= data.count);
        if (outside >= 0) {
          throw new KernelLabError(
            'invalid_input',
            `indices.${outside}: ${indices[outside]} is past the ${data.count} ${split} images of ${name}`,
          );
        }
        const picked = indices.map((i) => ({ index: i, label: data.labels[i]!, png: toPng(i) }));
        return { name, classNames: data.classNames, height: data.height, width: data.width, channels: data.channels, samples: picked };
      }
      const taken = new Array<number>(data.classNames.length).fill(0);
      const samples: { index: number; label: number; png: string }[] = [];
      for (let i = 0; i < data.count && samples.length < perClass * data.classNames.length; i++) {
        const label = data.labels[i]!;
        if (taken[label]! >= perClass) continue;
        taken[label]!++;
        samples.push({ index: i, label, png: toPng(i) });
      }
      samples.sort((a, b) => a.label - b.label || a.index - b.index);
      return { name, classNames: data.classNames, height: data.height, width: data.width, channels: data.channels, samples };
    },
  };
}
