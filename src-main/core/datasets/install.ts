import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KernelLabError } from '../errors.ts';
import { extractArchive } from './archive.ts';
import { checkContent } from './decode.ts';
import { sha256Bytes, sha256File } from './hash.ts';
import { datasetDir, removeManifest, writeManifest, type Manifest, type ManifestFile } from './manifest.ts';
import { decompress, fileProblem, isGzip } from './problems.ts';
import { clearCorrupt } from './status.ts';
import { registry, type DatasetDef, type DatasetName, type RegistryFile, type Variant } from './registry.ts';

/** A file on disk recognised as one of a dataset's registry files. */
export interface Identified {
  variant: Variant;
  file: RegistryFile;
  path: string;
  /** Name to store it under: the registry name, or the decompressed name for a raw file. */
  stored: string;
  bytes: number;
  sha256: string;
}

type Candidate = { kind: 'file'; id: Identified } | { kind: 'archive'; variant: Variant; path: string } | { kind: 'unknown'; path: string };

const stripGz = (name: string) => name.replace(/\.gz$/, '');

/**
 * Says what a file is: first by its SHA-256 (whatever its name), then, for a file named like a
 * registry file, by decoding it (a re-compressed .gz whose content is canonical is accepted; a
 * damaged one is refused with what is wrong with it). Unknown names give `unknown`.
 */
export async function identifyFile(def: DatasetDef, path: string): Promise<Candidate> {
  const bytes = statSync(path).size;
  const sha256 = await sha256File(path);
  for (const variant of def.variants) {
    const archive = variant.download?.archive;
    if (archive && archive.sha256 === sha256) return { kind: 'archive', variant, path };
    for (const file of variant.files) {
      if (file.sha256 === sha256) return { kind: 'file', id: { variant, file, path, stored: file.name, bytes, sha256 } };
      if (file.content?.sha256 === sha256) return { kind: 'file', id: { variant, file, path, stored: file.content.name, bytes, sha256 } };
    }
  }
  const name = basename(path);
  for (const variant of def.variants) {
    const archive = variant.download?.archive;
    if (archive && name === archive.name) {
      throw fileProblem(path, `checksum mismatch: SHA-256 is ${sha256}, the published ${archive.name} has ${archive.sha256}`);
    }
    for (const file of variant.files) {
      if (stripGz(name) !== stripGz(file.name)) continue;
      const limit = file.content?.bytes ?? file.bytes;
      if (bytes > limit * 2 + 1024 * 1024)
        throw fileProblem(path, `is ${bytes} bytes, far more than the ${limit} bytes ${file.name} should be`);
      const data = new Uint8Array(readFileSync(path));
      checkContent(def, file, data, name);
      if (file.content && isGzip(data)) {
        const contentSha = sha256Bytes(decompress(data, name, file.content.bytes));
        if (contentSha === file.content.sha256) return { kind: 'file', id: { variant, file, path, stored: file.name, bytes, sha256 } };
        throw fileProblem(
          path,
          `checksum mismatch: the decompressed content's SHA-256 is ${contentSha}, the published ${file.content.name} has ${file.content.sha256}`,
        );
      }
      const expected = file.content && !isGzip(data) ? file.content.sha256 : file.sha256;
      throw fileProblem(path, `checksum mismatch: SHA-256 is ${sha256}, the published ${file.name} has ${expected}`);
    }
  }
  return { kind: 'unknown', path };
}

function listFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => {
    const full = join(path, e.name);
    if (e.isDirectory()) return listFiles(full);
    return e.isFile() ? [full] : [];
  });
}

/**
 * The import path: takes files (or folders of files) from disk, verifies each against the
 * registry, copies the files of one complete variant into the dataset's folder and only then
 * writes the manifest that marks the dataset ready. `.tar.gz` archives are extracted (streaming).
 */
export async function installFromFiles(
  datasetsDir: string,
  name: DatasetName,
  paths: string[],
  options: { source?: string; signal?: AbortSignal } = {},
): Promise<Manifest> {
  const def = registry[name];
  const dir = datasetDir(datasetsDir, name);
  mkdirSync(dir, { recursive: true });
  const extractDir = join(dir, `.extract-${process.pid}`);
  const found: Identified[] = [];
  const rejected: string[] = [];
  try {
    for (const given of paths) {
      const abs = resolve(given);
      if (!existsSync(abs)) throw new KernelLabError('invalid_input', `${given}: no such file or folder`);
      const isDir = statSync(abs).isDirectory();
      for (const path of listFiles(abs)) {
        // Importing a folder that holds the data folder must not re-import the dataset's own files.
        if (isDir && path.startsWith(dir + sep)) continue;
        let candidate: Candidate;
        try {
          candidate = await identifyFile(def, path);
        } catch (error) {
          // In a folder, a damaged file may belong to another dataset with the same file names
          // (MNIST and Fashion-MNIST): it matters only if this dataset ends up incomplete.
          if (!isDir || !(error instanceof KernelLabError) || error.code !== 'invalid_input') throw error;
          rejected.push(error.message);
          continue;
        }
        if (candidate.kind === 'unknown') {
          if (isDir) continue;
          throw fileProblem(path, `is not a file of ${name}; expected one of ${expectedNames(def).join(', ')}`);
        }
        if (candidate.kind === 'file') {
          found.push(candidate.id);
          continue;
        }
        const archive = candidate.variant.download?.archive;
        if (!archive) continue;
        const members = await extractArchive(path, extractDir, archive, candidate.variant.files, options.signal);
        for (const memberPath of members.values()) {
          const member = await identifyFile(def, memberPath);
          if (member.kind !== 'file' || member.id.variant !== candidate.variant) {
            throw fileProblem(path, `member ${basename(memberPath)} does not match the published checksum`);
          }
          found.push(member.id);
        }
      }
    }
    const variant = pickVariant(def, found, rejected);
    const chosen = variant.files.map((file) => found.find((f) => f.variant === variant && f.file.name === file.name) as Identified);
    removeManifest(datasetsDir, name);
    rmSync(join(dir, 'cache'), { recursive: true, force: true });
    const files: ManifestFile[] = [];
    for (const f of chosen) {
      const target = join(dir, f.stored);
      if (resolve(f.path) !== target) {
        const part = `${target}.part`;
        await copyOrMove(f.path, part, f.path.startsWith(extractDir + sep));
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
    return manifest;
  } finally {
    rmSync(extractDir, { recursive: true, force: true });
  }
}

async function copyOrMove(from: string, to: string, move: boolean): Promise<void> {
  try {
    if (move) renameSync(from, to);
    else await pipeline(createReadStream(from), createWriteStream(to));
  } catch (error) {
    rmSync(to, { force: true });
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC')
      throw new KernelLabError('unavailable', `${basename(to.replace(/\.part$/, ''))}: the disk is full (copying ${from})`);
    throw error;
  }
}

function expectedNames(def: DatasetDef): string[] {
  return def.variants.flatMap((v) => [...(v.download?.archive ? [v.download.archive.name] : []), ...v.files.map((f) => f.name)]);
}

function pickVariant(def: DatasetDef, found: Identified[], rejected: string[]): Variant {
  let best: { variant: Variant; missing: string[] } | undefined;
  for (const variant of def.variants) {
    const missing = variant.files
      .filter((file) => !found.some((f) => f.variant === variant && f.file.name === file.name))
      .map((f) => f.name);
    if (missing.length === 0) return variant;
    if (!best || missing.length < best.missing.length) best = { variant, missing };
  }
  const have = found.length === 0 ? 'no file of it' : `only ${found.map((f) => basename(f.path)).join(', ')}`;
  const missing = best?.missing.join(', ');
  if (rejected.length > 0) throw new KernelLabError('invalid_input', `${rejected.join('; ')} (so ${def.name} is still missing ${missing})`);
  throw new KernelLabError('invalid_input', `${def.name}: the files given hold ${have}; still missing ${missing}`);
}
