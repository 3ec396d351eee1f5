import { fileProblem } from './problems.ts';

export const IDX_LABELS_MAGIC = 2049;
export const IDX_IMAGES_MAGIC = 2051;

export interface IdxImages {
  count: number;
  height: number;
  width: number;
  /** count*height*width bytes, row-major: NHWC with C = 1. A view into the input, not a copy. */
  pixels: Uint8Array;
}

function header(bytes: Uint8Array, file: string, headerBytes: number, magic: number, what: string): DataView {
  if (bytes.length < headerBytes) {
    throw fileProblem(file, `truncated: ${bytes.length} bytes is shorter than the ${headerBytes}-byte IDX ${what} header`, [
      'dataset_file_idx_size',
      { bytes: bytes.length, expected: headerBytes },
    ]);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    // Only the two IDX magic numbers are named: any other value is four bytes of some file that
    // is not a dataset (a link to /etc/passwd, say), and is not repeated back.
    if (found === IDX_LABELS_MAGIC || found === IDX_IMAGES_MAGIC) {
      const other = found === IDX_LABELS_MAGIC ? 'that is a label file' : 'that is an image file';
      throw fileProblem(file, `wrong magic number ${found} (${other}); an IDX ${what} file starts with ${magic}`, [
        'dataset_file_not_idx',
        { magic },
      ]);
    }
    throw fileProblem(file, `does not start with the IDX magic number ${magic}: not an IDX ${what} file`, [
      'dataset_file_not_idx',
      { magic },
    ]);
  }
  return view;
}

/** Decodes an (already decompressed) IDX image file: magic 2051, count, rows, columns, then the pixels. */
export function readIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const view = header(bytes, file, 16, IDX_IMAGES_MAGIC, 'image');
  const count = view.getUint32(4);
  const height = view.getUint32(8);
  const width = view.getUint32(12);
  if (height === 0 || width === 0 || height > 4096 || width > 4096) throw fileProblem(file, `implausible image size ${height}x${width}`);
  const expected = 16 + count * height * width;
  if (bytes.length !== expected) {
    throw fileProblem(
      file,
      `${bytes.length < expected ? 'truncated' : 'has trailing bytes'}: the header says ${count} images of ${height}x${width} (${expected} bytes) but the file has ${bytes.length} bytes`,
      ['dataset_file_idx_size', { bytes: bytes.length, expected }],
    );
  }
  return { count, height, width, pixels: bytes.subarray(16) };
}

/** Decodes an (already decompressed) IDX label file: magic 2049, count, then one byte per label, each < numClasses. */
export function readIdxLabels(bytes: Uint8Array, file: string, numClasses = 10): Uint8Array {
  const view = header(bytes, file, 8, IDX_LABELS_MAGIC, 'label');
  const count = view.getUint32(4);
  const expected = 8 + count;
  if (bytes.length !== expected) {
    throw fileProblem(
      file,
      `${bytes.length < expected ? 'truncated' : 'has trailing bytes'}: the header says ${count} labels (${expected} bytes) but the file has ${bytes.length} bytes`,
      ['dataset_file_idx_size', { bytes: bytes.length, expected }],
    );
  }
  const labels = bytes.subarray(8);
  checkLabels(labels, file, numClasses);
  return labels;
}

export function checkLabels(labels: Uint8Array, file: string, numClasses: number, recordOffset = 0): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) {
      throw fileProblem(file, `label ${labels[i]} at record ${i + recordOffset} is outside 0..${numClasses - 1}`, [
        'dataset_file_label_range',
        { label: labels[i]!, record: i + recordOffset, max: numClasses - 1 },
      ]);
    }
  }
}
