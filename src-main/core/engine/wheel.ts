/**
 * Reading Python wheels (zip files) with yauzl: list members, read small text members, and extract
 * chosen members while checking each against the wheel's RECORD (sha256 and size per file, the
 * wheel format's own integrity list). yauzl does not check CRC-32; RECORD is the stronger check.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { coded } from '../errors.ts';

export interface RecordEntry {
  /** Hex sha256. */
  sha256: string;
  size: number;
}

export interface Wheel {
  readonly path: string;
  readonly fileName: string;
  readonly members: ReadonlyMap<string, yauzl.Entry>;
  readonly record: ReadonlyMap<string, RecordEntry>;
  /** The dist-info METADATA text (Name, Version, Requires-Dist, …). */
  readonly metadata: string;
  readText(name: string): Promise<string>;
  /** Extracts one member to `dest`, refusing it when its bytes do not match RECORD. */
  extract(name: string, dest: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<void>;
  close(): void;
}

const corrupt = (wheel: string, what: string) =>
  coded(
    'invalid_input',
    `${wheel} is corrupt or incomplete: ${what}. Delete it (and pip's cached copy) and download it again.`,
    'engine_wheel_corrupt',
    { wheel, problem: what.slice(0, 1000) },
  );

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => {
      if (error) reject(corrupt(basename(path), `it is not a readable zip file (${error.message})`));
      else resolve(zip);
    });
  });
}

function listEntries(zip: yauzl.ZipFile, fileName: string): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const members = new Map<string, yauzl.Entry>();
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) members.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(members));
    zip.once('error', (error: Error) => reject(corrupt(fileName, `its directory cannot be read (${error.message})`)));
    zip.readEntry();
  });
}

function openStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream)));
  });
}

/** RECORD rows: `path,sha256=<urlsafe base64, no padding>,size`. */
export function parseRecord(text: string): Map<string, RecordEntry> {
  const record = new Map<string, RecordEntry>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^(.*),sha256=([A-Za-z0-9_-]+),(\d+)$/.exec(line.trim());
    if (!match) continue;
    record.set(match[1]!, { sha256: Buffer.from(match[2]!, 'base64url').toString('hex'), size: Number(match[3]) });
  }
  return record;
}

/** `Requires-Dist: nvidia-cudnn-cu12==9.3.0.75; extra == "and-cuda"` → those requirements. */
export function requirementsOfExtra(metadata: string, extra: string): string[] {
  const out: string[] = [];
  for (const line of metadata.split(/\r?\n/)) {
    const match = /^Requires-Dist:\s*([^;]+);\s*(.*)$/.exec(line);
    if (!match) continue;
    if (new RegExp(`extra\\s*==\\s*["']${extra}["']`).test(match[2]!)) out.push(match[1]!.replace(/\s+/g, ''));
  }
  return out;
}

export const metadataField = (metadata: string, field: string): string | undefined =>
  new RegExp(`^${field}:\\s*(.+)$`, 'm').exec(metadata)?.[1]?.trim();

export async function openWheel(path: string): Promise<Wheel> {
  const fileName = basename(path);
  const zip = await openZip(path);
  try {
    const members = await listEntries(zip, fileName);
    const readText = async (name: string): Promise<string> => {
      const entry = members.get(name);
      if (!entry) throw corrupt(fileName, `it has no ${name}`);
      if (entry.uncompressedSize > 64 << 20)
        throw corrupt(fileName, `${name} is ${entry.uncompressedSize} bytes, too large for a text member`);
      const chunks: Buffer[] = [];
      for await (const chunk of await openStream(zip, entry)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    const recordName = [...members.keys()].find((n) => /^[^/]+\.dist-info\/RECORD$/.test(n));
    const metadataName = [...members.keys()].find((n) => /^[^/]+\.dist-info\/METADATA$/.test(n));
    if (!recordName || !metadataName) throw corrupt(fileName, 'it has no .dist-info/RECORD or METADATA, so it is not a wheel');
    const record = parseRecord(await readText(recordName));
    const metadata = await readText(metadataName);

    const extract = async (name: string, dest: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<void> => {
      const entry = members.get(name);
      if (!entry) throw corrupt(fileName, `it has no ${name}`);
      const expected = record.get(name);
      if (!expected) throw corrupt(fileName, `${name} is not listed in its RECORD`);
      if (expected.size !== entry.uncompressedSize)
        throw corrupt(fileName, `${name} is ${entry.uncompressedSize} bytes but RECORD says ${expected.size}`);
      mkdirSync(dirname(dest), { recursive: true });
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          onBytes?.(chunk.length);
          callback(null, chunk);
        },
      });
      try {
        await pipeline(await openStream(zip, entry), tap, createWriteStream(dest), signal ? { signal } : {});
      } catch (error) {
        if (signal?.aborted) throw error;
        throw corrupt(fileName, `${name} cannot be extracted (${(error as Error).message})`);
      }
      const actual = hash.digest('hex');
      if (actual !== expected.sha256) throw corrupt(fileName, `${name} does not match the sha256 in its RECORD`);
    };

    let closed = false;
    const close = () => {
      if (!closed) zip.close();
      closed = true;
    };
    return { path, fileName, members, record, metadata, readText, extract, close };
  } catch (error) {
    zip.close();
    throw error;
  }
}
