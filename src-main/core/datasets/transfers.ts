/**
 * Datasets arriving in the data folder: downloads and imports in flight in this service, what
 * each dataset's state is, and why its last download failed. One object per service, built and
 * stopped by createService (service.ts); the datasets handlers only adapt calls to it.
 */
import { rmSync } from 'node:fs';
import type { DatasetInfo, DatasetProgress } from '../contract/index.ts';
import { coreText, type CoreText, type IssueText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { downloadDataset, downloadLockHolder } from './download.ts';
import { installFromFiles } from './install.ts';
import { datasetDir } from './manifest.ts';
import { parseMirror } from './mirror.ts';
import { datasetNames, downloadBytes, registry, type DatasetName } from './registry.ts';
import { bytesOnDisk, diskState } from './status.ts';

interface ActiveDownload {
  controller: AbortController;
  progress: DatasetProgress | undefined;
  /** Settles with the download's error (undefined when it succeeded); never rejects. */
  settled: Promise<Error | undefined>;
}

export interface DatasetTransfersOptions {
  /** The data folder's datasets/ folder. */
  root: string;
  events: EventBus;
  /** A mirror set for this service (`kernellab datasets download --mirror`); wins over the environment. */
  mirror?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export class DatasetTransfers {
  readonly root: string;
  readonly #events: EventBus;
  readonly #downloads = new Map<DatasetName, ActiveDownload>();
  /** Imports in progress, by dataset: datasets.cancel stops them. */
  readonly #imports = new Map<DatasetName, AbortController>();
  /** Why the last download of a dataset failed, shown while it is absent. */
  readonly #lastFailure = new Map<DatasetName, { message: string; text: CoreText | null }>();
  /** The mirror is configuration of this machine, read once; a request cannot name one (see mirror.ts). */
  readonly #mirror: { value: string; from: string } | undefined;
  /** Aborted when the service stops: transfers end, keeping a download's partial file. */
  readonly #closing = new AbortController();

  constructor(options: DatasetTransfersOptions) {
    this.root = options.root;
    this.#events = options.events;
    const env = options.env ?? process.env;
    this.#mirror = options.mirror?.trim()
      ? { value: options.mirror.trim(), from: '--mirror' }
      : env.KERNELLAB_DATASET_MIRROR?.trim()
        ? { value: env.KERNELLAB_DATASET_MIRROR.trim(), from: 'KERNELLAB_DATASET_MIRROR' }
        : undefined;
  }

  get mirror(): string | null {
    return this.#mirror?.value ?? null;
  }

  info(name: DatasetName): DatasetInfo {
    const def = registry[name];
    const disk = diskState(this.root, name);
    const download = this.#downloads.get(name);
    // Another process (the CLI while the app is open, say) may be downloading into the same folder.
    const elsewhere = download ? undefined : downloadLockHolder(this.root, name);
    const variant = disk.state === 'ready' ? def.variants.find((v) => v.id === disk.manifest.variant) : undefined;
    const splits = (variant ?? def.variants[0]!).splits;
    const progress = download?.progress;
    const onDisk = bytesOnDisk(this.root, name);
    const failure = this.#lastFailure.get(name);
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
      problem: disk.state === 'corrupt' ? disk.problem : disk.state === 'absent' ? (failure?.message ?? null) : null,
      problemCode: disk.state === 'corrupt' ? disk.problemCode : disk.state === 'absent' ? (failure?.text ?? null) : null,
      problemCodes: disk.state === 'corrupt' ? disk.problems : null,
    };
  }

  list(): DatasetInfo[] {
    return datasetNames.map((name) => this.info(name));
  }

  /** Starts a download (or joins the one running); with `wait`, resolves when it ends and throws its error. */
  async download(name: DatasetName, wait: boolean): Promise<DatasetInfo> {
    const mirror = this.#mirror ? parseMirror(this.#mirror.value, this.#mirror.from) : undefined;
    if (this.#imports.has(name))
      throw coded('conflict', `${name} is being imported; cancel the import before downloading`, 'dataset_being_imported', { name });
    const running = this.#downloads.get(name);
    if (running) {
      if (wait) await running.settled;
      return this.info(name);
    }
    if (this.#closing.signal.aborted)
      throw coded('unavailable', 'KernelLab is shutting down; no download starts now', 'dataset_shutting_down', {});
    const controller = new AbortController();
    this.#closing.signal.addEventListener('abort', () => controller.abort(), { once: true, signal: controller.signal });
    const entry: ActiveDownload = { controller, progress: undefined, settled: Promise.resolve(undefined) };
    this.#lastFailure.delete(name);
    const run = downloadDataset(this.root, name, {
      mirror,
      signal: controller.signal,
      onProgress: (p) => {
        entry.progress = p;
        this.#emit(p);
      },
    });
    entry.settled = run.then(
      () => undefined,
      (error: Error) => {
        this.#failed(name, entry, error);
        return error;
      },
    );
    this.#downloads.set(name, entry);
    void entry.settled.finally(() => {
      if (this.#downloads.get(name) === entry) this.#downloads.delete(name);
    });
    if (wait) {
      const error = await entry.settled;
      if (this.#downloads.get(name) === entry) this.#downloads.delete(name);
      if (error) throw error;
    }
    return this.info(name);
  }

  #failed(name: DatasetName, entry: ActiveDownload, error: Error): void {
    const canceled = entry.controller.signal.aborted;
    const text = error instanceof KernelLabError ? listedFailureText(error) : null;
    if (!canceled) this.#lastFailure.set(name, { message: error.message, text });
    const last = entry.progress;
    this.#emit({
      dataset: name,
      file: last?.file ?? '',
      bytes: last?.bytes ?? 0,
      total: last?.total ?? downloadBytes(registry[name]),
      rate: last?.rate ?? 0,
      phase: canceled ? 'canceled' : 'failed',
      message: error.message,
      ...(text && { messageCode: text }),
    });
  }

  /** Stops a running import or download of the dataset; true when there was one. */
  async cancel(name: DatasetName): Promise<boolean> {
    const importing = this.#imports.get(name);
    if (importing) {
      importing.abort();
      return true;
    }
    const download = this.#downloads.get(name);
    if (!download) return false;
    download.controller.abort();
    await download.settled;
    if (this.#downloads.get(name) === download) this.#downloads.delete(name);
    return true;
  }

  /**
   * Installs a dataset from files on disk. Without a name, every dataset whose files are there is
   * imported (a folder may hold several). Stops when `signal` aborts (the caller left), the service
   * stops, or datasets.cancel names it.
   */
  async import(
    name: DatasetName | undefined,
    paths: string[],
    signal: AbortSignal,
  ): Promise<DatasetInfo & { notes: string[]; noteCodes: CoreText[] }> {
    const names = name ? [name] : [...datasetNames];
    const refusals: string[] = [];
    // Each refusal coded (the dataset as its path), so the page and a Korean CLI say the reasons in their language.
    const refusalTexts: IssueText[] = [];
    const imported: DatasetName[] = [];
    // A note once, with its code: two datasets read from one folder list the same links.
    const notes = new Map<string, CoreText>();
    for (const candidate of names) {
      const busy = this.#busy(candidate);
      if (busy) {
        if (name)
          throw coded(
            'conflict',
            `${candidate} is ${busy}; cancel it before importing`,
            busy === 'downloading' ? 'dataset_busy_downloading' : 'dataset_busy_importing',
            { name: candidate },
          );
        refusals.push(`${candidate}: ${busy}`);
        refusalTexts.push({
          path: candidate,
          text: coreText(busy === 'downloading' ? 'dataset_refused_downloading' : 'dataset_refused_importing', {}),
        });
        continue;
      }
      const controller = new AbortController();
      this.#imports.set(candidate, controller);
      try {
        const done = await installFromFiles(this.root, candidate, paths, {
          signal: AbortSignal.any([signal, controller.signal, this.#closing.signal]),
        });
        done.notes.forEach((n, i) => notes.set(n, done.noteTexts[i]!));
        imported.push(candidate);
      } catch (error) {
        if (name || !(error instanceof KernelLabError) || error.code !== 'invalid_input') throw error;
        refusals.push(`${candidate}: ${error.message}`);
        refusalTexts.push({ path: candidate, text: error.text ?? null });
      } finally {
        this.#imports.delete(candidate);
      }
    }
    if (imported.length === 0)
      throw new KernelLabError('invalid_input', `the files are not a dataset KernelLab knows (${refusals.join('; ')})`, refusals, {
        text: coreText('dataset_not_recognised', {}),
        issueTexts: refusalTexts,
      });
    return { ...this.info(imported[0]!), notes: [...notes.keys()], noteCodes: [...notes.values()] };
  }

  #busy(name: DatasetName): string | null {
    if (this.#imports.has(name)) return 'being imported';
    if (this.#downloads.has(name) || downloadLockHolder(this.root, name) !== undefined) return 'downloading';
    return null;
  }

  /** Removes a dataset's folder; refused while it downloads here or in another process. */
  delete(name: DatasetName): boolean {
    const holder = downloadLockHolder(this.root, name);
    const here = this.#downloads.has(name);
    if (here || holder !== undefined)
      throw new KernelLabError(
        'conflict',
        `${name} is downloading${holder !== undefined && !here ? ` in another KernelLab process (pid ${holder})` : ''}; cancel it before deleting`,
        undefined,
        {
          text:
            holder !== undefined && !here
              ? coreText('dataset_delete_downloading_elsewhere', { name, processId: holder })
              : coreText('dataset_delete_downloading', { name }),
        },
      );
    const existed = bytesOnDisk(this.root, name) > 0;
    rmSync(datasetDir(this.root, name), { recursive: true, force: true });
    this.#lastFailure.delete(name);
    return existed;
  }

  /** Stops every download and import of this service and waits for the downloads to let go of their files. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const importing of this.#imports.values()) importing.abort();
    await Promise.all([...this.#downloads.values()].map((d) => d.settled));
  }

  #emit(progress: DatasetProgress): void {
    this.#events.emit('dataset.progress', progress);
  }
}

/**
 * The one coded sentence a failed download leaves in its event and in the datasets list, which
 * carry no issues: a refusal that lists each source's problem as its issues (the CLI and the
 * page's error box say those coded) is said there with the problems inside it, each still coded.
 */
function listedFailureText(error: KernelLabError): CoreText | null {
  const text = error.text ?? null;
  if (text?.code !== 'dataset_download_failed_sources' || !error.issues) return text;
  const problems = error.issues.slice(0, 100).map((sentence, i) => {
    const coded = error.issueTexts?.[i];
    return { sentence: sentence.slice(0, 4000), path: coded?.path ?? '', text: coded?.text ?? null };
  });
  return coreText('dataset_download_failed', { ...text.params, problems });
}
