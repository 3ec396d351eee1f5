import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { coreText, type ProblemText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';
import { decodeSplit } from './decode.ts';
import { sha256Bytes } from './hash.ts';
import { datasetDir, quickProblems, readManifest } from './manifest.ts';
import { diskState, markCorrupt } from './status.ts';
import { registry, type DatasetName, type RegistryFile, type SplitName } from './registry.ts';

/** One split, decoded: uint8 pixels NHWC and uint8 labels, ready for the training engine. */
export interface RawSplit {
  /** count*height*width*channels bytes, NHWC. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
}

const CacheInfo = z.object({
  manifestSha256: z.string(),
  count: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
});

let cacheCounter = 0;

/**
 * Loads a split of a dataset that is ready in `datasetsDir`. The first load decodes the
 * original files (checking their SHA-256 against the manifest) and writes a decoded uint8 cache
 * (`cache/<split>.u8`: images then labels) beside them; later loads read the cache after
 * checking its size and SHA-256.
 */
/**
 * A dataset that cannot be read, its problems each coded (the page and a Korean CLI say them in
 * the user's language); `advice` follows the problems (the manifest case gave none).
 */
function corrupt(name: string, problems: ProblemText[], advice = '; delete it and download or import it again'): KernelLabError {
  const problem = problems.map((p) => p.sentence).join('; ');
  const text = advice
    ? coreText('dataset_corrupt', { name, problem: problems })
    : coreText('dataset_corrupt_manifest', { name, problem: problems });
  return new KernelLabError('unavailable', `dataset ${name} is corrupt: ${problem}${advice}`, undefined, { text });
}

export async function loadSplit(datasetsDir: string, name: DatasetName, split: SplitName): Promise<RawSplit> {
  const def = registry[name];
  if (!def)
    throw coded(
      'invalid_input',
      `unknown dataset '${String(name)}'; expected one of ${Object.keys(registry).join(', ')}`,
      'dataset_unknown',
      { name: String(name), names: Object.keys(registry).join(', ') },
    );
  const read = readManifest(datasetsDir, name);
  if (!read) {
    const disk = diskState(datasetsDir, name);
    if (disk.state === 'corrupt') throw corrupt(name, disk.problems);
    throw coded(
      'not_found',
      `dataset ${name} is not ready in ${datasetsDir}: download it (kernellab datasets download ${name}) or import its files`,
      'dataset_not_ready',
      { name },
    );
  }
  const { manifest, text } = read;
  const variant = def.variants.find((v) => v.id === manifest.variant);
  if (!variant)
    throw coded('unavailable', `${name}/manifest.json names an unknown variant '${manifest.variant}'`, 'dataset_manifest_unknown_variant', {
      name,
      variant: manifest.variant.slice(0, 1000),
    });
  const problems = quickProblems(datasetsDir, manifest);
  if (problems.length > 0)
    throw corrupt(
      name,
      problems.map((p) => ({ ...p, path: '' })),
    );

  const splitDef = variant.splits[split];
  const dir = datasetDir(datasetsDir, name);
  const shape = { height: def.height, width: def.width, channels: def.channels, classNames: def.classNames };
  const imageBytes = splitDef.count * def.height * def.width * def.channels;
  const manifestSha256 = sha256Bytes(Buffer.from(text));

  const cached = await readCache(dir, split, manifestSha256, imageBytes + splitDef.count);
  if (cached) {
    return { images: cached.subarray(0, imageBytes), labels: cached.subarray(imageBytes), count: splitDef.count, ...shape };
  }

  const names = splitDef.format === 'idx' ? [splitDef.images, splitDef.labels] : splitDef.batches;
  const files = new Map<string, { entry: RegistryFile; bytes: Uint8Array; label: string }>();
  for (const fileName of names) {
    const entry = variant.files.find((f) => f.name === fileName) as RegistryFile;
    const m = manifest.files.find((f) => f.name === fileName);
    if (!m)
      throw corrupt(
        name,
        [{ sentence: `manifest.json does not list ${fileName}`, path: '', text: coreText('dataset_manifest_lacks', { file: fileName }) }],
        '',
      );
    const bytes = new Uint8Array(await readFile(join(dir, m.stored)));
    const sha = sha256Bytes(bytes);
    if (sha !== m.sha256) {
      const mismatch = coreText('dataset_verify_sha_mismatch', { file: m.stored, got: sha, expected: m.sha256 });
      markCorrupt(datasetsDir, name, [
        { sentence: `${m.stored}: SHA-256 is ${sha}, the verified file had ${m.sha256}`, path: '', text: mismatch },
      ]);
      const sentence = `${m.stored} has SHA-256 ${sha}, the verified file had ${m.sha256}`;
      throw corrupt(name, [
        { sentence, path: '', text: coreText('dataset_stored_sha_mismatch', { file: m.stored, got: sha, expected: m.sha256 }) },
      ]);
    }
    files.set(fileName, { entry, bytes, label: m.stored });
  }
  const decoded = decodeSplit(def, splitDef, files);
  if (decoded.count !== splitDef.count) {
    throw coded(
      'unavailable',
      `dataset ${name} ${split}: holds ${decoded.count} images, expected ${splitDef.count}`,
      'dataset_split_count',
      { name, split, count: decoded.count, expected: splitDef.count },
    );
  }
  writeCache(dir, split, manifestSha256, decoded.images, decoded.labels);
  return { images: decoded.images, labels: decoded.labels, count: decoded.count, ...shape };
}

async function readCache(dir: string, split: SplitName, manifestSha256: string, bytes: number): Promise<Uint8Array | undefined> {
  const infoPath = join(dir, 'cache', `${split}.json`);
  const dataPath = join(dir, 'cache', `${split}.u8`);
  if (!existsSync(infoPath) || !existsSync(dataPath)) return undefined;
  try {
    const info = CacheInfo.parse(JSON.parse(readFileSync(infoPath, 'utf8')));
    if (info.manifestSha256 !== manifestSha256 || info.bytes !== bytes) return undefined;
    const data = await readFile(dataPath);
    if (data.length !== bytes || sha256Bytes(data) !== info.sha256) return undefined;
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written (full disk, read-only folder) only costs speed. */
function writeCache(dir: string, split: SplitName, manifestSha256: string, images: Uint8Array, labels: Uint8Array): void {
  const cacheDir = join(dir, 'cache');
  const tag = `${process.pid}-${++cacheCounter}`;
  const dataTmp = join(cacheDir, `${split}.u8.${tag}.tmp`);
  const infoTmp = join(cacheDir, `${split}.json.${tag}.tmp`);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const data = Buffer.concat([images, labels]);
    writeFileSync(dataTmp, data);
    writeFileSync(infoTmp, JSON.stringify({ manifestSha256, count: labels.length, bytes: data.length, sha256: sha256Bytes(data) }));
    renameSync(dataTmp, join(cacheDir, `${split}.u8`));
    renameSync(infoTmp, join(cacheDir, `${split}.json`));
  } catch {
    rmSync(dataTmp, { force: true });
    rmSync(infoTmp, { force: true });
  }
}
