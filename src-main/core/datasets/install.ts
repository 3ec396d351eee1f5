import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { coded, KernelLabError } from '../errors.ts';
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import { extractArchive } from './archive.ts';
import { checkContent } from './decode.ts';
import { sha256Bytes } from './hash.ts';
import { datasetDir, removeManifest, writeManifest, type Manifest, type ManifestFile } from './manifest.ts';
import { decompress, fileProblem, isGzip } from './problems.ts';
import { clearCorrupt } from './status.ts';
import { registry, type DatasetDef, type DatasetName, type RegistryFile, type Variant } from './registry.ts';
import { hashSource, listSourceFiles, openSource, publishedSizes, readSource, type SourceFile } from './sourceFiles.ts';

/** A file on disk recognised as one of a dataset's registry files. */
export interface Identified {
  variant: Variant;
  file: RegistryFile;
  source: SourceFile;
  /** Name to store it under: the registry name, or the decompressed name for a raw file. */
  stored: string;
  bytes: number;
  sha256: string;
}

type Candidate =
  { kind: 'file'; id: Identified } | { kind: 'archive'; variant: Variant; source: SourceFile } | { kind: 'unknown'; source: SourceFile };

const stripGz = (name: string) => name.replace(/\.gz$/, '');

/**
 * Says what a file is: first by its SHA-256 (whatever its name; only files of a published size
 * are hashed, since no other size can match), then, for a file named like a registry file, by
 * decoding it (a re-compressed .gz whose content is canonical is accepted; a damaged one is
 * refused with what is wrong with it). Unknown names give `unknown`. Messages never quote the
 * file's bytes: it may be any file on the machine under a dataset's name.
 */
export async function identifyFile(def: DatasetDef, source: SourceFile, signal?: AbortSignal): Promise<Candidate> {
  try {
    return await identify(def, source, signal);
  } catch (error) {
    // Decoders name the file by its own name; a link also says where it leads (its coded `link`, which the catalogue words).
    if (error instanceof KernelLabError && source.label !== source.name && error.message.startsWith(`${source.name}: `)) {
      const text =
        error.text && 'file' in error.text.params
          ? // Widened first: comparing the spread with every code's parameters is past the type checker's limit.
            ({
              code: error.text.code,
              params: { ...(error.text.params as Record<string, unknown>), file: source.name, link: source.link.slice(0, 1000) },
            } as CoreText)
          : error.text;
      throw new KernelLabError(error.code, `${source.label}${error.message.slice(source.name.length)}`, error.issues, text ? { text } : {});
    }
    throw error;
  }
}

async function identify(def: DatasetDef, source: SourceFile, signal?: AbortSignal): Promise<Candidate> {
  const bytes = source.bytes;
  const sha256 = publishedSizes(def).has(bytes) ? await hashSource(source, signal) : undefined;
  if (sha256 !== undefined) {
    for (const variant of def.variants) {
      const archive = variant.download?.archive;
      if (archive && archive.sha256 === sha256) return { kind: 'archive', variant, source };
      for (const file of variant.files) {
        if (file.sha256 === sha256) return { kind: 'file', id: { variant, file, source, stored: file.name, bytes, sha256 } };
        if (file.content?.sha256 === sha256)
          return { kind: 'file', id: { variant, file, source, stored: file.content.name, bytes, sha256 } };
      }
    }
  }
  const name = source.name;
  const shaOf = async () => sha256 ?? (await hashSource(source, signal));
  for (const variant of def.variants) {
    const archive = variant.download?.archive;
    if (archive && name === archive.name) {
      const got = await shaOf();
      throw fileProblem(name, `checksum mismatch: SHA-256 is ${got}, the published ${archive.name} has ${archive.sha256}`, [
        'dataset_file_checksum',
        { got, published: archive.name, expected: archive.sha256 },
      ]);
    }
    for (const file of variant.files) {
      if (stripGz(name) !== stripGz(file.name)) continue;
      const limit = file.content?.bytes ?? file.bytes;
      if (bytes > limit * 2 + 1024 * 1024)
        throw fileProblem(name, `is ${bytes} bytes, far more than the ${limit} bytes ${file.name} should be`, [
          'dataset_file_too_big',
          { bytes, limit, published: file.name },
        ]);
      const data = await readSource(source, signal);
      checkContent(def, file, data, name);
      const fileSha = sha256Bytes(data);
      if (file.content && isGzip(data)) {
        const contentSha = sha256Bytes(decompress(data, name, file.content.bytes));
        if (contentSha === file.content.sha256)
          return { kind: 'file', id: { variant, file, source, stored: file.name, bytes, sha256: fileSha } };
        throw fileProblem(
          name,
          `checksum mismatch: the decompressed content's SHA-256 is ${contentSha}, the published ${file.content.name} has ${file.content.sha256}`,
          ['dataset_file_checksum', { got: contentSha, published: file.content.name, expected: file.content.sha256 }],
        );
      }
      const expected = file.content && !isGzip(data) ? file.content.sha256 : file.sha256;
      throw fileProblem(name, `checksum mismatch: SHA-256 is ${fileSha}, the published ${file.name} has ${expected}`, [
        'dataset_file_checksum',
        { got: fileSha, published: file.name, expected },
      ]);
    }
  }
  return { kind: 'unknown', source };
}

/**
 * The import path: takes files (or folders of files) from disk, verifies each against the
 * registry, copies the files of one complete variant into the dataset's folder and only then
 * writes the manifest that marks the dataset ready. `.tar.gz` archives are extracted (streaming).
 * What it read and what it left out is in `notes` (links followed, special files skipped).
 * A failed import leaves no trace: the dataset's folder is removed again if this call made it.
 */
export async function installFromFiles(
  datasetsDir: string,
  name: DatasetName,
  paths: string[],
  options: { source?: string; signal?: AbortSignal } = {},
): Promise<Manifest & { notes: string[]; noteTexts: CoreText[] }> {
  const def = registry[name];
  const dir = datasetDir(datasetsDir, name);
  const existed = existsSync(dir);
  const extractDir = join(dir, `.extract-${process.pid}`);
  const signal = options.signal;
  const found: Identified[] = [];
  const rejected: ProblemText[] = [];
  let completed = false;
  try {
    // Importing a folder that holds the data folder must not re-import the dataset's own files.
    const listed = listSourceFiles(def, paths, { exclude: dir, ...(signal ? { signal } : {}) });
    const read = listed.files.filter((f) => f.label !== f.name && f.label !== f.path);
    const notes = [...read.map((f) => `read ${f.label}`), ...listed.skipped.map((s) => `skipped ${s}`)];
    const noteTexts = [...read.map((f) => coreText('dataset_note_read', { label: f.name, link: f.link })), ...listed.skippedTexts];
    await identifyAll({ def, name, sources: listed.files, extractDir, signal, found, rejected });
    const variant = pickVariant(def, found, rejected, listed);
    const chosen = variant.files.map((file) => found.find((f) => f.variant === variant && f.file.name === file.name) as Identified);
    mkdirSync(dir, { recursive: true });
    removeManifest(datasetsDir, name);
    rmSync(join(dir, 'cache'), { recursive: true, force: true });
    const files: ManifestFile[] = [];
    for (const f of chosen) {
      signal?.throwIfAborted();
      const target = join(dir, f.stored);
      if (f.source.path !== target) {
        const part = `${target}.part`;
        await copyOrMove(f, part, f.source.path.startsWith(extractDir + sep), signal);
        renameSync(part, target);
      }
      files.push({ name: f.file.name, stored: f.stored, bytes: f.bytes, sha256: f.sha256 });
    }
    const manifest: Manifest = {
      version: 1,
      dataset: name,
      variant: variant.id,
      source: options.source ?? 'import',
      createdAt: new Date().toISOString(),
      files,
    };
    writeManifest(datasetsDir, manifest);
    clearCorrupt(datasetsDir, name);
    completed = true;
    return { ...manifest, notes, noteTexts };
  } catch (error) {
    if (signal?.aborted) throw coded('conflict', `import of ${name} canceled`, 'dataset_import_canceled', { name });
    throw error;
  } finally {
    rmSync(extractDir, { recursive: true, force: true });
    if (!completed && !existed) removeIfEmpty(dir);
  }
}

/**
 * Identifies each listed file (and each member of an archive) against the registry into `found`;
 * a damaged file inside a folder goes to `rejected`, a named file that is not this dataset's is refused.
 */
async function identifyAll(r: {
  def: DatasetDef;
  name: DatasetName;
  sources: SourceFile[];
  extractDir: string;
  signal: AbortSignal | undefined;
  found: Identified[];
  rejected: ProblemText[];
}): Promise<void> {
  const { def, name, extractDir, signal, found, rejected } = r;
  for (const source of r.sources) {
    signal?.throwIfAborted();
    let candidate: Candidate;
    try {
      candidate = await identifyFile(def, source, signal);
    } catch (error) {
      // In a folder, a damaged file may belong to another dataset with the same file names
      // (MNIST and Fashion-MNIST): it matters only if this dataset ends up incomplete.
      if (source.named || !(error instanceof KernelLabError) || error.code !== 'invalid_input') throw error;
      rejected.push({ sentence: error.message.slice(0, 4000), path: '', text: error.text ?? null });
      continue;
    }
    if (candidate.kind === 'unknown') {
      if (!source.named) continue;
      throw coded(
        'invalid_input',
        `${source.label}: is not a file of ${name}; expected one of ${expectedNames(def).join(', ')}`,
        'dataset_not_a_file_of',
        { file: source.name, link: source.link.slice(0, 1000), name, expected: expectedNames(def).join(', ') },
      );
    }
    if (candidate.kind === 'file') {
      found.push(candidate.id);
      continue;
    }
    const archive = candidate.variant.download?.archive;
    if (!archive) continue;
    const members = await extractArchive(source.path, extractDir, archive, candidate.variant.files, signal);
    for (const memberPath of members.values()) {
      const member = await identifyFile(def, memberSource(memberPath), signal);
      if (member.kind !== 'file' || member.id.variant !== candidate.variant) {
        throw fileProblem(source.name, `member ${basename(memberPath)} does not match the published checksum`, [
          'dataset_file_archive_member',
          { member: basename(memberPath) },
        ]);
      }
      found.push(member.id);
    }
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Not there, or no longer empty (another process wrote into it): leave it.
  }
}

/** An archive member extracted by this import: a regular file in its own extraction folder. */
function memberSource(path: string): SourceFile {
  const name = basename(path);
  return { path, name, label: name, link: '', bytes: statSync(path).size, named: false };
}

/** Copies (or moves, for extracted members) an identified file into place, checking it is still the bytes that were identified. */
async function copyOrMove(f: Identified, to: string, move: boolean, signal?: AbortSignal): Promise<void> {
  try {
    if (move) {
      renameSync(f.source.path, to);
      return;
    }
    const handle = await openSource(f.source);
    const hash = createHash('sha256');
    try {
      await pipeline(
        handle.createReadStream({ start: 0, end: Math.max(0, f.bytes - 1), autoClose: false }),
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(to),
        ...(signal ? [{ signal }] : []),
      );
    } finally {
      await handle.close();
    }
    if (f.bytes > 0 && hash.digest('hex') !== f.sha256)
      throw coded(
        'invalid_input',
        `${f.source.label}: changed while it was being imported; import it again`,
        'dataset_changed_during_import',
        { file: f.source.name, link: f.source.link.slice(0, 1000) },
      );
  } catch (error) {
    rmSync(to, { force: true });
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC') {
      const file = basename(to.replace(/\.part$/, ''));
      throw coded('unavailable', `${file}: the disk is full (copying ${f.source.path})`, 'dataset_disk_full', { file, path: to });
    }
    throw error;
  }
}

function expectedNames(def: DatasetDef): string[] {
  return def.variants.flatMap((v) => [...(v.download?.archive ? [v.download.archive.name] : []), ...v.files.map((f) => f.name)]);
}

function pickVariant(
  def: DatasetDef,
  found: Identified[],
  rejected: ProblemText[],
  { skipped, skippedTexts }: { skipped: string[]; skippedTexts: CoreText[] },
): Variant {
  let best: { variant: Variant; missing: string[] } | undefined;
  for (const variant of def.variants) {
    const missing = variant.files
      .filter((file) => !found.some((f) => f.variant === variant && f.file.name === file.name))
      .map((f) => f.name);
    if (missing.length === 0) return variant;
    if (!best || missing.length < best.missing.length) best = { variant, missing };
  }
  const held = found.map((f) => f.source.name).join(', ');
  const have = found.length === 0 ? 'no file of it' : `only ${held}`;
  const missing = best?.missing.join(', ') ?? '';
  // What was left out may be why: a few of those, not ten thousand.
  const left =
    skipped.length === 0
      ? ''
      : ` (left out: ${skipped.slice(0, 3).join('; ')}${skipped.length > 3 ? `; and ${skipped.length - 3} more` : ''})`;
  // The same, coded: the first three left out, each with its code, and how many more.
  const shown = skipped.slice(0, 3).map((sentence, i) => ({ sentence, path: '', text: skippedTexts[i] ?? null }));
  const leftText =
    skipped.length === 0
      ? ''
      : [
          {
            sentence: left,
            path: '',
            text:
              skipped.length > 3
                ? coreText('dataset_left_out_more', { skipped: shown, more: skipped.length - 3 })
                : coreText('dataset_left_out', { skipped: shown }),
          },
        ];
  const name = def.name;
  if (rejected.length > 0) {
    const sentence = rejected.map((r) => r.sentence).join('; ');
    throw coded('invalid_input', `${sentence} (so ${name} is still missing ${missing})${left}`, 'dataset_files_rejected', {
      name,
      rejected: rejected.slice(0, 100),
      missing,
      left: leftText,
    });
  }
  throw new KernelLabError('invalid_input', `${name}: the files given hold ${have}; still missing ${missing}${left}`, undefined, {
    text:
      found.length === 0
        ? coreText('dataset_files_missing_none', { name, missing, left: leftText })
        : coreText('dataset_files_missing', { name, have: held, missing, left: leftText }),
  });
}
