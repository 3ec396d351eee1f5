import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Builds an IDX image file: magic 2051, count, rows, cols, then pixels (pixel i of image n = (n + i) & 255 unless given). */
export function idxImages(
  count: number,
  height = 28,
  width = 28,
  options: { magic?: number; pixels?: Uint8Array; extra?: number } = {},
): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(options.magic ?? 2051, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(height, 8);
  header.writeUInt32BE(width, 12);
  const body = options.pixels ? Buffer.from(options.pixels) : Buffer.alloc(count * height * width + (options.extra ?? 0));
  if (!options.pixels) for (let i = 0; i < body.length; i++) body[i] = (Math.floor(i / (height * width)) + i) & 255;
  return Buffer.concat([header, body]);
}

export function idxLabels(labels: number[], options: { magic?: number; count?: number } = {}): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(options.magic ?? 2049, 0);
  header.writeUInt32BE(options.count ?? labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

/** One CIFAR record: label, then red/green/blue planes where plane value at pixel p = (p + base) & 255. */
export function cifarRecord(label: number, base: [number, number, number]): Buffer {
  const rec = Buffer.alloc(3073);
  rec[0] = label;
  for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) rec[1 + ch * 1024 + p] = (p + base[ch]!) & 255;
  return rec;
}

/** ../shared/data beside the repository, or undefined (tests that need it skip with a printed reason). */
export function sharedDataDir(): string | undefined {
  const dir = resolve(fileURLToPath(new URL('../../../../../shared/data', import.meta.url)));
  return existsSync(join(dir, 'SHA256SUMS')) ? dir : undefined;
}
