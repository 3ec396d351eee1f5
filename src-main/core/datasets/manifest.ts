import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { coded } from '../errors.ts';
import { datasetNames, type DatasetName } from './registry.ts';

/**
 * `manifest.json` in a dataset's folder is the ready marker: it is written (atomically) only
 * after every file has been verified, and it records what each stored file must be.
 */
export const ManifestFile = z.object({
  /** The registry name of the file (e.g. train-images-idx3-ubyte.gz). */
  name: z.string(),
  /** The file name in the dataset folder: the registry name, or its decompressed name. */
  stored: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const Manifest = z.object({
  version: z.literal(1),
  dataset: z.enum(datasetNames),
  variant: z.string(),
  source: z.string(),
  createdAt: z.string(),
  files: z.array(ManifestFile),
});
export type Manifest = z.infer<typeof Manifest>;

export const MANIFEST = 'manifest.json';

export function datasetDir(datasetsDir: string, name: DatasetName): string {
  return join(datasetsDir, name);
}

export function readManifest(datasetsDir: string, name: DatasetName): { manifest: Manifest; text: string } | undefined {
  const path = join(datasetDir(datasetsDir, name), MANIFEST);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw coded(
      'unavailable',
      `${name}/${MANIFEST}: not valid JSON; delete the dataset and import or download it again`,
      'dataset_manifest_not_json',
      { name, file: MANIFEST },
    );
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success || parsed.data.dataset !== name) {
    throw coded(
      'unavailable',
      `${name}/${MANIFEST}: not a KernelLab dataset manifest for ${name}; delete the dataset and import or download it again`,
      'dataset_manifest_not_manifest',
      { name, file: MANIFEST },
    );
  }
  return { manifest: parsed.data, text };
}

export function writeManifest(datasetsDir: string, manifest: Manifest): void {
  const dir = datasetDir(datasetsDir, manifest.dataset);
  const tmp = join(dir, `${MANIFEST}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2));
  renameSync(tmp, join(dir, MANIFEST));
}

export function removeManifest(datasetsDir: string, name: DatasetName): void {
  rmSync(join(datasetDir(datasetsDir, name), MANIFEST), { force: true });
}

/** Cheap check (sizes only) that the stored files are still what the manifest says: the problems, each coded (contract/coreText.ts). */
export function quickProblems(datasetsDir: string, manifest: Manifest): { sentence: string; text: CoreText }[] {
  const dir = datasetDir(datasetsDir, manifest.dataset);
  const problems: { sentence: string; text: CoreText }[] = [];
  for (const f of manifest.files) {
    const path = join(dir, f.stored);
    if (!existsSync(path)) problems.push({ sentence: `${f.stored}: missing`, text: coreText('dataset_file_missing', { file: f.stored }) });
    else if (statSync(path).size !== f.bytes) {
      const bytes = statSync(path).size;
      problems.push({
        sentence: `${f.stored}: ${bytes} bytes, expected ${f.bytes}`,
        text: coreText('dataset_file_wrong_size', { file: f.stored, bytes, expected: f.bytes }),
      });
    }
  }
  return problems;
}
