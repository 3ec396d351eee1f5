import { closeSync, existsSync, openSync, readSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';
import { checkContent } from './decode.ts';
import { sha256Bytes, sha256File } from './hash.ts';
import { installFromFiles } from './install.ts';
import { datasetDir, type Manifest } from './manifest.ts';
import { canceled, fetchTo, type AttemptError } from './fetchAttempt.ts';
import { parseMirror, type Mirror } from './mirror.ts';
import { decompress, fileProblem, isGzip, looksLikeHtml } from './problems.ts';
import { registry, type DatasetDef, type DatasetName, type RegistryFile, type Variant } from './registry.ts';

export interface DownloadProgress {
  dataset: DatasetName;
  /** The file being transferred now. */
  file: string;
  /** Bytes of the whole download done so far (resumed bytes included), and its total. */
  bytes: number;
  total: number;
  /** Bytes per second over the transfer so far (resumed bytes excluded). */
  rate: number;
  phase: 'download' | 'verify' | 'extract' | 'done';
}

export interface DownloadOptions {
  /**
   * A folder, an https URL or a loopback http URL that replaces the home sites:
   * <mirror>/<dataset folder>/<file>. Checked by parseMirror (see mirror.ts) when given as text.
   */
  mirror?: Mirror | string | undefined;
  /** Replaces the registry's base URLs (tried in order); the mirror, when given, still wins. */
  baseUrls?: string[];
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Attempts per source after the first (default 3), and the first backoff (default 500 ms, doubled each time). */
  retries?: number;
  backoffMs?: number;
  /** A connection with no data for this long is dropped and retried (default 30 s). */
  idleTimeoutMs?: number;
}

interface Source {
  describe: string;
  /** Where a file of the variant is; `mirrorDir` only for mirrors. */
  locate(name: string): string;
}

function sourcesFor(def: DatasetDef, variant: Variant, mirror: Mirror | undefined, baseUrls?: string[]): Source[] {
  if (mirror) {
    return def.mirrorDirs.map((dir) => {
      const base = mirror.kind === 'url' ? `${mirror.base.replace(/\/+$/, '')}/${dir}/` : join(mirror.dir, dir);
      return { describe: `mirror ${base}`, locate: (name) => (mirror.kind === 'url' ? new URL(name, base).href : join(base, name)) };
    });
  }
  return (baseUrls ?? variant.download?.urls ?? []).map((base) => ({ describe: base, locate: (name) => new URL(name, base).href }));
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolveSleep, reject) => {
    const timer = setTimeout(resolveSleep, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(canceled());
      },
      { once: true },
    );
  });

/**
 * Downloads a dataset into `datasetsDir`: each file streams to `<file>.part` in the dataset's
 * folder (resumed with an HTTP Range request when a part is there), is verified against the
 * registry's SHA-256 and renamed; then the files are installed through the same verified path
 * as an import, which writes the ready marker last.
 */
export async function downloadDataset(datasetsDir: string, name: DatasetName, options: DownloadOptions = {}): Promise<Manifest> {
  const def = registry[name];
  const mirror = typeof options.mirror === 'string' ? parseMirror(options.mirror, 'mirror') : options.mirror;
  options = { ...options, mirror };
  const variants = def.variants.filter((v) => v.download && (v.download.urls.length > 0 || mirror || options.baseUrls));
  if (variants.length === 0)
    throw coded('invalid_input', `${name} has no download source; import its files instead`, 'dataset_no_download_source', { name });
  const release = takeDownloadLock(datasetsDir, name);
  try {
    return await downloadVariants(datasetsDir, def, variants, options);
  } finally {
    release();
  }
}

const LOCK = '.download.lock';

/** The pid holding a dataset's download lock, when that process is alive. */
export function downloadLockHolder(datasetsDir: string, name: DatasetName): number | undefined {
  const path = join(datasetDir(datasetsDir, name), LOCK);
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** One download per dataset across processes (the app and the CLI share the data folder); a dead holder's lock is taken over. */
function takeDownloadLock(datasetsDir: string, name: DatasetName): () => void {
  const dir = datasetDir(datasetsDir, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK);
  const holder = downloadLockHolder(datasetsDir, name);
  if (holder !== undefined && holder !== process.pid) {
    throw coded('conflict', `${name} is being downloaded by another KernelLab process (pid ${holder})`, 'dataset_downloading_elsewhere', {
      name,
      processId: holder,
    });
  }
  writeFileSync(path, String(process.pid));
  return () => rmSync(path, { force: true });
}

async function downloadVariants(datasetsDir: string, def: DatasetDef, variants: Variant[], options: DownloadOptions): Promise<Manifest> {
  const name = def.name;
  // Each variant its sources do not hold, in English and coded, with its sources' problems inside.
  const failures: ProblemText[] = [];
  for (const variant of variants) {
    const sources = sourcesFor(def, variant, options.mirror as Mirror | undefined, options.baseUrls);
    try {
      return await downloadVariant(datasetsDir, def, variant, sources, options);
    } catch (error) {
      // A variant its sources do not hold at all: try the next one (a mirror of the test subset, say).
      if (error instanceof NotHeldError) {
        failures.push({ sentence: error.message.slice(0, 4000), path: '', text: error.text });
        continue;
      }
      throw error;
    }
  }
  throw coded(
    'unavailable',
    `${name}: no source holds its files: ${failures.map((f) => f.sentence).join('; ')}`,
    'dataset_no_source_holds',
    {
      name,
      failures: failures.slice(0, 100),
    },
  );
}

/** A variant whose first file no source holds (every source said 404 or no such file): `text` says it coded. */
class NotHeldError extends Error {
  readonly text: CoreText;
  constructor(message: string, text: CoreText) {
    super(message);
    this.text = text;
  }
}

async function downloadVariant(
  datasetsDir: string,
  def: DatasetDef,
  variant: Variant,
  sources: Source[],
  options: DownloadOptions,
): Promise<Manifest> {
  const dir = datasetDir(datasetsDir, def.name);
  mkdirSync(dir, { recursive: true });
  const archive = variant.download?.archive;
  const items: RegistryFile[] = archive ? [archive] : variant.files;
  const meter = new DownloadMeter(
    def.name,
    items.reduce((sum, f) => sum + f.bytes, 0),
    options,
  );
  const paths: string[] = [];
  const used = new Set<string>();
  for (const [index, item] of items.entries()) {
    const target = join(dir, item.name);
    // Already downloaded and verified by an earlier, interrupted run: kept.
    if (!(await alreadyDownloaded(def, item, target)))
      await fetchFromSources({ def, variant, item, index, target, sources, options, meter, used });
    paths.push(target);
    meter.done += item.bytes;
  }
  meter.emit(items.at(-1)?.name ?? '', 0, archive ? 'extract' : 'verify', true);
  const manifest = await installFromFiles(datasetsDir, def.name, paths, {
    source: `download: ${used.size > 0 ? [...used].join(', ') : 'earlier download'}`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (archive) rmSync(join(dir, archive.name), { force: true });
  meter.done = meter.total;
  meter.emit(items.at(-1)?.name ?? '', 0, 'done', true);
  return manifest;
}

/** A variant's download progress: bytes done and transferred, reported at most every 100 ms unless forced. */
class DownloadMeter {
  /** Bytes of the files finished (downloaded or found already there). */
  done = 0;
  /** Bytes that came over the network, for the rate. */
  transferred = 0;
  readonly #startedAt = Date.now();
  #lastEmit = 0;

  readonly dataset: DatasetDef['name'];
  readonly total: number;
  readonly #options: DownloadOptions;

  constructor(dataset: DatasetDef['name'], total: number, options: DownloadOptions) {
    this.dataset = dataset;
    this.total = total;
    this.#options = options;
  }

  emit(file: string, current: number, phase: DownloadProgress['phase'], force = false): void {
    const now = Date.now();
    if (!force && now - this.#lastEmit < 100) return;
    this.#lastEmit = now;
    const seconds = Math.max((now - this.#startedAt) / 1000, 0.001);
    const { done, total } = this;
    this.#options.onProgress?.({
      dataset: this.dataset,
      file,
      bytes: Math.min(done + current, total),
      total,
      rate: this.transferred / seconds,
      phase,
    });
  }
}

async function alreadyDownloaded(def: DatasetDef, item: RegistryFile, target: string): Promise<boolean> {
  return (
    existsSync(target) &&
    (await verifyDownloaded(def, item, target)
      .then(() => true)
      .catch(() => false))
  );
}

/**
 * Downloads one file to `target`, trying each source in turn with retries and backoff, and
 * verifies it before it takes its name. Wrong bytes move on to the next source; a full disk or a
 * source that says stop ends the download; a first file no source holds means the variant is not held.
 */
async function fetchFromSources(f: {
  def: DatasetDef;
  variant: Variant;
  item: RegistryFile;
  index: number;
  target: string;
  sources: Source[];
  options: DownloadOptions;
  meter: DownloadMeter;
  used: Set<string>;
}): Promise<void> {
  const { def, item, target, options, meter } = f;
  const part = `${target}.part`;
  // Each source's problem in English and coded, with the source's location as its path.
  const problems: ProblemText[] = [];
  for (const source of f.sources) {
    const location = source.locate(item.name);
    const attempts = 1 + (options.retries ?? 3);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (options.signal?.aborted) throw canceled();
      try {
        await fetchTo(location, part, item, options, (current, fresh) => {
          meter.transferred += fresh;
          meter.emit(item.name, Math.min(current, item.bytes), 'download');
        });
        meter.emit(item.name, item.bytes, 'verify', true);
        await verifyDownloaded(def, item, part, location);
        renameSync(part, target);
        f.used.add(source.describe);
        return;
      } catch (error) {
        if (options.signal?.aborted) throw canceled();
        if (error instanceof KernelLabError) {
          // The bytes are wrong (checksum, HTML page, bad format): never keep them, try the next source.
          rmSync(part, { force: true });
          if (error.code === 'unavailable' && /disk is full/.test(error.message)) throw error;
          problems.push({ sentence: error.message, path: '', text: error.text ?? null });
          break;
        }
        const err = error as AttemptError;
        problems.push({ sentence: `${location}: ${err.message}`, path: location.slice(0, 1000), text: err.text ?? null });
        if (err.next === 'stop') {
          rmSync(part, { force: true });
          throw new KernelLabError('unavailable', `${item.name}: ${err.message}`, undefined, err.text ? { text: err.text } : {});
        }
        if (err.next === 'next-source') break;
        if (attempt + 1 < attempts) await sleep((options.backoffMs ?? 500) * 2 ** attempt, options.signal);
      }
    }
  }
  const sentences = problems.map((p) => p.sentence);
  const allMissing = problems.length > 0 && sentences.every((p) => /HTTP 404|no such file/.test(p));
  if (allMissing && f.index === 0)
    throw new NotHeldError(
      `${f.variant.id}: ${item.name} not found (${sentences.join('; ')})`,
      coreText('dataset_variant_not_held', {
        variant: f.variant.id,
        file: item.name,
        problems: problems.slice(0, 100).map((p) => ({ ...p, sentence: p.sentence.slice(0, 4000) })),
      }),
    );
  throw new KernelLabError('unavailable', `${def.name}: could not download ${item.name}: ${sentences.join('; ')}`, sentences, {
    text: coreText('dataset_download_failed_sources', { name: def.name, file: item.name }),
    issueTexts: problems.map((p) => ({ path: p.path, text: p.text })),
  });
}

/**
 * A downloaded file is accepted when its SHA-256 is the published one, or (for a mirror that
 * re-compressed a .gz) when its decompressed content's SHA-256 is the published content's.
 * Anything else throws a KernelLabError that names the file, the source and both hashes.
 */
async function verifyDownloaded(def: DatasetDef, item: RegistryFile, path: string, from?: string): Promise<void> {
  const sha = await sha256File(path);
  if (sha === item.sha256) return;
  const where = from ? ` (from ${from})` : '';
  const size = statSync(path).size;
  const head = Buffer.alloc(Math.min(size, 512));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (looksLikeHtml(head))
    throw fileProblem(
      item.name,
      `is an HTML page, not dataset data (the server${where} answered with an error or login page)`,
      ['dataset_file_html', {}],
      'unavailable',
    );
  if (item.content && size <= item.content.bytes * 2) {
    const bytes = new Uint8Array(readFileSync(path));
    checkContent(def, item, bytes, item.name);
    if (isGzip(bytes)) {
      const contentSha = sha256Bytes(decompress(bytes, item.name, item.content.bytes));
      if (contentSha === item.content.sha256) return;
      throw coded(
        'unavailable',
        `${item.name}${where}: checksum mismatch: expected SHA-256 ${item.sha256} (content ${item.content.sha256}), got ${sha} (content ${contentSha}); the download was deleted`,
        'dataset_download_checksum',
        { file: item.name, expected: item.content.sha256, got: contentSha },
      );
    }
  } else if (!('memberDir' in item) && size <= item.bytes * 2) {
    checkContent(def, item, new Uint8Array(readFileSync(path)), item.name);
  }
  throw coded(
    'unavailable',
    `${item.name}${where}: checksum mismatch: expected SHA-256 ${item.sha256}, got ${sha}; the download was deleted`,
    'dataset_download_checksum',
    { file: item.name, expected: item.sha256, got: sha },
  );
}
