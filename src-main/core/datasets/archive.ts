import { createReadStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Unpack } from 'tar';
import { fileProblem } from './problems.ts';
import type { ArchiveDef, RegistryFile } from './registry.ts';

/**
 * Extracts the wanted members of a .tar.gz, streaming, into `destDir` (flat: member folder
 * dropped). Decompressed bytes are counted and the archive refused beyond `limit` (a gzip
 * bomb). Returns the paths of the extracted members by member file name.
 */
export async function extractArchive(
  archivePath: string,
  destDir: string,
  archive: ArchiveDef,
  members: RegistryFile[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  mkdirSync(destDir, { recursive: true });
  const wanted = new Map(members.map((m) => [m.name, m]));
  // The archive also holds a readme and the class-name file; allow them generous room.
  const limit = members.reduce((sum, m) => sum + m.bytes, 0) + 16 * 1024 * 1024;
  const label = basename(archivePath);
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit)
        done(fileProblem(label, `decompresses to more than ${limit} bytes, far beyond CIFAR-10's size (a gzip bomb or the wrong file)`));
      else done(null, chunk);
    },
  });
  const found = new Map<string, string>();
  const unpack = new Unpack({
    cwd: destDir,
    strict: true,
    // Drop the member folder; take only regular files the registry names, at their expected size.
    strip: 1,
    filter: (path, entry) => {
      const name = basename(path);
      const member = wanted.get(name);
      const ok = member !== undefined && path === `${archive.memberDir}/${name}` && 'type' in entry && entry.type === 'File';
      if (ok) found.set(name, join(destDir, name));
      return ok;
    },
  });
  try {
    await pipeline(createReadStream(archivePath), createGunzip(), counter, unpack, { signal });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.name === 'AbortError') throw error;
    if (err.name === 'KernelLabError') throw error;
    if (err.code === 'Z_BUF_ERROR')
      throw fileProblem(label, 'gzip data is truncated (unexpected end of file)', ['dataset_file_gzip_truncated', {}]);
    if (err.code?.startsWith('Z_'))
      throw fileProblem(label, `gzip data is corrupt (${err.message})`, ['dataset_file_gzip_corrupt', { reason: err.message }]);
    throw fileProblem(label, `is not a readable tar archive (${err.message})`, ['dataset_file_not_tar', { reason: err.message }]);
  }
  const missing = members.filter((m) => !found.has(m.name)).map((m) => m.name);
  if (missing.length > 0)
    throw fileProblem(label, `does not contain ${missing.join(', ')} under ${archive.memberDir}/`, [
      'dataset_file_archive_missing',
      { members: missing.join(', '), dir: archive.memberDir },
    ]);
  return found;
}
