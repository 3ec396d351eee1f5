import { fileProblem } from './problems.ts';

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_RECORD = 1 + 3 * CIFAR_PIXELS;

export interface CifarBatch {
  count: number;
  /** count*32*32*3 bytes, NHWC (RGB interleaved per pixel). */
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * Decodes CIFAR-10 binary records (1 label byte + 1024 red + 1024 green + 1024 blue, each plane
 * row-major) into NHWC. `into`/`offset` let several batch files fill one preallocated split.
 */
export function readCifarBatch(
  bytes: Uint8Array,
  file: string,
  options: { numClasses?: number; into?: CifarBatch; offset?: number } = {},
): CifarBatch {
  const numClasses = options.numClasses ?? 10;
  if (bytes.length === 0) throw fileProblem(file, 'is empty', ['dataset_file_empty', {}]);
  if (bytes.length % CIFAR_RECORD !== 0) {
    throw fileProblem(
      file,
      `size ${bytes.length} is not a multiple of the ${CIFAR_RECORD}-byte CIFAR record (truncated or not CIFAR binary data: ${Math.floor(bytes.length / CIFAR_RECORD)} whole records and ${bytes.length % CIFAR_RECORD} bytes left over)`,
      [
        'dataset_file_cifar_size',
        { bytes: bytes.length, records: Math.floor(bytes.length / CIFAR_RECORD), left: bytes.length % CIFAR_RECORD },
      ],
    );
  }
  const count = bytes.length / CIFAR_RECORD;
  const offset = options.offset ?? 0;
  const out = options.into ?? { count, images: new Uint8Array(count * 3 * CIFAR_PIXELS), labels: new Uint8Array(count) };
  if (offset + count > out.labels.length)
    throw fileProblem(file, `holds ${count} records, more than the ${out.labels.length - offset} expected`);
  const images = out.images;
  for (let r = 0; r < count; r++) {
    const src = r * CIFAR_RECORD;
    const label = bytes[src]!;
    // The value is not repeated: in a file that is not CIFAR data it is a byte of whatever the file is.
    if (label >= numClasses)
      throw fileProblem(file, `the label of record ${r} is outside 0..${numClasses - 1}: not CIFAR-10 binary data`, [
        'dataset_file_label_range',
        { label, record: r, max: numClasses - 1 },
      ]);
    out.labels[offset + r] = label;
    const red = src + 1;
    const green = red + CIFAR_PIXELS;
    const blue = green + CIFAR_PIXELS;
    let dst = (offset + r) * 3 * CIFAR_PIXELS;
    for (let p = 0; p < CIFAR_PIXELS; p++) {
      images[dst++] = bytes[red + p]!;
      images[dst++] = bytes[green + p]!;
      images[dst++] = bytes[blue + p]!;
    }
  }
  return out;
}
