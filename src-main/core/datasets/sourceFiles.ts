/**
 * The files an import reads, found from what the user named: regular files only, through
 * symbolic links (followed, and said so in messages), never a device, FIFO or socket, never a
 * file larger than any file of the dataset. /dev/zero would be hashed forever; a FIFO blocks a
 * thread of Node's small file-I/O pool until someone writes to it (four of them stop every
 * other file operation of the process); a 40 GB file would be read to learn it is not MNIST.
 * Files are opened non-blocking and checked again on the open handle, so a path swapped for a
 * FIFO after it was listed still cannot block.
 */
import { constants, existsSync, lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join, resolve, sep } from 'node:path';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { DatasetDef } from './registry.ts';

/** A regular file an import may read. */
export interface SourceFile {
  /** The file itself: symbolic links resolved. */
  path: string;
  /** The name it was given under (a link's own name): registry names are matched against this. */
  name: string;
  /** How messages name it: its name, and where it really is when that was a link. */
  label: string;
  /** Where its link leads ('' when it is no link): a coded text's `link`, which the catalogue words. */
  link: string;
  bytes: number;
  /** True when the user named it (not found in a folder): problems with it are errors, not skips. */
  named: boolean;
}

type Kind = 'character_device' | 'block_device' | 'fifo' | 'socket' | 'not_regular';

/**
 * What kind of thing a non-regular file (not a folder) is, in English words and as the end of
 * its codes (`dataset_skipped_<kind>` for a note, `dataset_path_<kind>` for a named path's
 * refusal: one code per kind, a message cannot choose a word).
 */
function kindOf(st: Stats): { kind: string; code: Kind } {
  if (st.isCharacterDevice()) return { kind: 'a character device', code: 'character_device' };
  if (st.isBlockDevice()) return { kind: 'a block device', code: 'block_device' };
  if (st.isFIFO()) return { kind: 'a named pipe (FIFO)', code: 'fifo' };
  if (st.isSocket()) return { kind: 'a socket', code: 'socket' };
  return { kind: 'not a regular file', code: 'not_regular' };
}

/** The largest file any variant of the dataset can hold (a re-compressed .gz may be larger than the published one). */
export function importCap(def: DatasetDef): number {
  let largest = 0;
  for (const variant of def.variants) {
    for (const f of variant.files) largest = Math.max(largest, f.bytes, f.content?.bytes ?? 0);
    largest = Math.max(largest, variant.download?.archive?.bytes ?? 0);
  }
  return largest * 2 + 1024 * 1024;
}

/**
 * How far a folder is searched: a dataset's files sit in its folder or a level or two below. A
 * walk from / or a home folder would take minutes and read the whole disk's metadata.
 */
export const walkLimits = { depth: 4, entries: 20_000 };

/** Sizes a file must have to possibly hash to one of the dataset's published files. */
export function publishedSizes(def: DatasetDef): Set<number> {
  const sizes = new Set<number>();
  for (const variant of def.variants) {
    for (const f of variant.files) {
      sizes.add(f.bytes);
      if (f.content) sizes.add(f.content.bytes);
    }
    if (variant.download?.archive) sizes.add(variant.download.archive.bytes);
  }
  return sizes;
}

/** A problem with a listed file, named by its label (a link says where it leads), with its coded form. */
const problem = (file: SourceFile, text: string, coded: CoreText) =>
  new KernelLabError('invalid_input', `${file.label}: ${text}`, undefined, { text: coded });

/** A listed file as its coded texts name it: its name, and where its link leads ('' for none). */
const labelOf = (file: SourceFile) => ({ label: file.name, link: file.link });

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The regular files under the given paths, with what was left out and why (`skipped`).
 * A named path that is not a regular file or a folder, or is too big, is refused outright.
 */
export function listSourceFiles(
  def: DatasetDef,
  given: readonly string[],
  options: { exclude?: string; signal?: AbortSignal } = {},
): { files: SourceFile[]; skipped: string[]; skippedTexts: CoreText[]; folders: boolean } {
  const exclude = options.exclude && existsSync(options.exclude) ? realpathSync(options.exclude) : options.exclude;
  const walk = new SourceWalk(def, exclude, options.signal);
  for (const path of given) walk.visit(resolve(path), true, path, 0);
  return { files: walk.files, skipped: walk.skipped, skippedTexts: walk.skippedTexts, folders: walk.folders };
}

/** One walk over the given paths: what it found, what it left out and why, and its limits' counters. */
class SourceWalk {
  readonly files: SourceFile[] = [];
  readonly skipped: string[] = [];
  /** Each of `skipped` as an import note's code ("skipped …"), same order. */
  readonly skippedTexts: CoreText[] = [];
  folders = false;
  // A folder reached twice (two links to it, or a link to a parent) is read once.
  readonly #seenDirs = new Set<string>();
  #entries = 0;
  readonly #def: DatasetDef;
  readonly #cap: number;
  readonly #exclude: string | undefined;
  readonly #signal: AbortSignal | undefined;

  constructor(def: DatasetDef, exclude: string | undefined, signal: AbortSignal | undefined) {
    this.#def = def;
    this.#cap = importCap(def);
    this.#exclude = exclude;
    this.#signal = signal;
  }

  visit(path: string, named: boolean, shownAs: string, depth: number): void {
    this.#signal?.throwIfAborted();
    let link: Stats;
    try {
      link = lstatSync(path);
    } catch (error) {
      if (!named) return;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw coded('invalid_input', `${shownAs}: no such file or folder`, 'dataset_no_such_path', { path: shownAs });
      const reason = String((error as NodeJS.ErrnoException).code);
      throw coded('invalid_input', `${shownAs}: cannot be read (${reason})`, 'dataset_cannot_read_path', { path: shownAs, reason });
    }
    let real = path;
    let st = link;
    if (link.isSymbolicLink()) {
      try {
        real = realpathSync(path);
        st = statSync(real);
      } catch {
        return this.#leaveOut(
          named,
          `${shownAs}: a link to nothing that exists`,
          coreText('dataset_skipped_dead_link', { label: shownAs }),
          coreText('dataset_path_dead_link', { label: shownAs }),
        );
      }
    }
    const target = real === resolve(path) ? '' : real;
    const shown = { label: basename(path), link: target.slice(0, 1000) };
    const label = target ? `${basename(path)} (a link to ${target})` : basename(path);
    if (st.isDirectory()) return this.#visitFolder(real, shown, named ? 'named' : link.isSymbolicLink() ? 'link' : 'inside', depth);
    if (!st.isFile()) {
      const { kind, code } = kindOf(st);
      return this.#leaveOut(
        named,
        `${label}: is ${kind}, not a regular file; KernelLab imports regular files and folders only`,
        coreText(`dataset_skipped_${code}`, shown),
        coreText(`dataset_path_${code}`, shown),
      );
    }
    if (st.size > this.#cap) {
      const sizes = { size: mib(st.size), name: this.#def.name, maximum: mib(this.#cap) };
      return this.#leaveOut(
        named,
        `${label}: is ${sizes.size}, larger than any file of ${sizes.name} (at most ${sizes.maximum})`,
        coreText('dataset_skipped_too_big', { ...shown, ...sizes }),
        coreText('dataset_path_too_big', { ...shown, ...sizes }),
      );
    }
    this.files.push({ path: real, name: basename(path), label, link: target, bytes: st.size, named });
  }

  /** A named path's problem is refused outright (`refusal`); one found inside a folder is left out and listed (`note`). */
  #leaveOut(named: boolean, problem: string, note: CoreText, refusal: CoreText): void {
    if (named) throw new KernelLabError('invalid_input', problem, undefined, { text: refusal });
    this.#skip(problem, note);
  }

  #skip(problem: string, note: CoreText): void {
    this.skipped.push(problem);
    this.skippedTexts.push(note);
  }

  #visitFolder(real: string, shown: { label: string; link: string }, how: 'named' | 'link' | 'inside', depth: number): void {
    const label = shown.link ? `${shown.label} (a link to ${shown.link})` : shown.label;
    if (how === 'link') {
      // Links to folders inside a folder are not followed: they can loop or reach anywhere.
      this.#skip(`${label}: a link to a folder, not followed`, coreText('dataset_skipped_folder_link', shown));
      return;
    }
    if (this.#seenDirs.has(real)) return;
    this.#seenDirs.add(real);
    this.folders = true;
    if (depth > walkLimits.depth) {
      this.#skip(
        `${label}: more than ${walkLimits.depth} folders deep, not searched`,
        coreText('dataset_skipped_too_deep', { ...shown, depth: walkLimits.depth }),
      );
      return;
    }
    let children: string[];
    try {
      children = readdirSync(real).sort();
    } catch (error) {
      const reason = String((error as NodeJS.ErrnoException).code);
      return this.#leaveOut(
        how === 'named',
        `${label}: the folder cannot be read (${reason})`,
        coreText('dataset_skipped_unreadable_folder', { ...shown, reason }),
        coreText('dataset_path_unreadable_folder', { ...shown, reason }),
      );
    }
    this.#entries += children.length;
    if (this.#entries > walkLimits.entries) {
      throw coded(
        'invalid_input',
        `the folders given hold more than ${walkLimits.entries} entries; point the import at the folder that holds the dataset's files`,
        'dataset_walk_too_many',
        { entries: walkLimits.entries },
      );
    }
    const exclude = this.#exclude;
    for (const entry of children) {
      const child = join(real, entry);
      if (exclude && (child === exclude || child.startsWith(exclude + sep))) continue;
      this.visit(child, false, entry, depth + 1);
    }
  }
}

/**
 * Opens a listed file for reading without ever blocking on it: non-blocking (a FIFO swapped in
 * opens at once instead of waiting for a writer), without following a link swapped in, and
 * checked again on the handle.
 */
export async function openSource(file: SourceFile): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const reason = String((error as NodeJS.ErrnoException).code);
    throw problem(
      file,
      `cannot be opened (${reason}); was it changed during the import?`,
      coreText('dataset_source_cannot_open', { ...labelOf(file), reason }),
    );
  }
  const st = await handle.stat();
  if (!st.isFile() || st.size !== file.bytes) {
    await handle.close();
    throw st.isFile()
      ? problem(file, 'changed size during the import', coreText('dataset_source_changed_size', labelOf(file)))
      : problem(file, `became ${kindOf(st).kind} during the import`, coreText('dataset_source_not_regular_now', labelOf(file)));
  }
  return handle;
}

/** Reads a listed file's `bytes` bytes (the size it was listed with), checking `signal` between reads. */
export async function readSource(file: SourceFile, signal?: AbortSignal): Promise<Uint8Array> {
  const handle = await openSource(file);
  try {
    const out = new Uint8Array(file.bytes);
    let at = 0;
    while (at < out.length) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(out, at, Math.min(out.length - at, 1 << 22), at);
      if (bytesRead === 0) throw problem(file, 'shrank during the import', coreText('dataset_source_shrank', labelOf(file)));
      at += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** SHA-256 of a listed file, read in 1 MiB pieces, stopping when `signal` aborts. */
export async function hashSource(file: SourceFile, signal?: AbortSignal): Promise<string> {
  const handle = await openSource(file);
  try {
    const hash = createHash('sha256');
    const buffer = new Uint8Array(1 << 20);
    let at = 0;
    while (at < file.bytes) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, file.bytes - at), at);
      if (bytesRead === 0) throw problem(file, 'shrank during the import', coreText('dataset_source_shrank', labelOf(file)));
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
