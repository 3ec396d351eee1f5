import { CIFAR_RECORD, readCifarBatch, type CifarBatch } from './cifarReader.ts';
import { readIdxImages, readIdxLabels } from './idxReader.ts';
import { decompress, fileProblem } from './problems.ts';
import type { DatasetDef, RegistryFile, SplitDef } from './registry.ts';

/** What a file must look like inside, given the registry entry it claims to be. Throws a fileProblem otherwise. */
export function checkContent(def: DatasetDef, file: RegistryFile, bytes: Uint8Array, label: string): void {
  const content = decompress(bytes, label, file.content?.bytes ?? file.bytes);
  const name = file.content?.name ?? file.name;
  if (/idx3/.test(name)) {
    const images = readIdxImages(content, label);
    if (images.height !== def.height || images.width !== def.width) {
      throw fileProblem(label, `holds ${images.height}x${images.width} images; ${def.name} images are ${def.height}x${def.width}`, [
        'dataset_file_image_size',
        { height: images.height, width: images.width, dataset: def.name, expectedHeight: def.height, expectedWidth: def.width },
      ]);
    }
  } else if (/idx1/.test(name)) {
    readIdxLabels(content, label, def.classNames.length);
  } else {
    readCifarBatch(content, label, { numClasses: def.classNames.length });
  }
}

export interface DecodedSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** Decodes one split from the stored files' bytes (keyed by registry name). */
export function decodeSplit(
  def: DatasetDef,
  split: SplitDef,
  files: Map<string, { entry: RegistryFile; bytes: Uint8Array; label: string }>,
): DecodedSplit {
  const get = (name: string) => {
    const f = files.get(name);
    if (!f) throw new Error(`internal: split file ${name} not loaded`);
    return f;
  };
  const numClasses = def.classNames.length;
  if (split.format === 'idx') {
    const img = get(split.images);
    const lab = get(split.labels);
    const images = readIdxImages(decompress(img.bytes, img.label, img.entry.content?.bytes ?? img.entry.bytes), img.label);
    const labels = readIdxLabels(decompress(lab.bytes, lab.label, lab.entry.content?.bytes ?? lab.entry.bytes), lab.label, numClasses);
    if (images.height !== def.height || images.width !== def.width) {
      throw fileProblem(img.label, `holds ${images.height}x${images.width} images; ${def.name} images are ${def.height}x${def.width}`, [
        'dataset_file_image_size',
        { height: images.height, width: images.width, dataset: def.name, expectedHeight: def.height, expectedWidth: def.width },
      ]);
    }
    if (images.count !== labels.length) {
      throw fileProblem(lab.label, `holds ${labels.length} labels but ${img.label} holds ${images.count} images`);
    }
    return { images: images.pixels, labels, count: images.count };
  }
  const out: CifarBatch = {
    count: split.count,
    images: new Uint8Array(split.count * def.height * def.width * def.channels),
    labels: new Uint8Array(split.count),
  };
  let offset = 0;
  for (const name of split.batches) {
    const f = get(name);
    const content = decompress(f.bytes, f.label, f.entry.content?.bytes ?? f.entry.bytes);
    readCifarBatch(content, f.label, { numClasses, into: out, offset });
    offset += content.length / CIFAR_RECORD;
  }
  if (offset !== split.count) throw fileProblem(split.batches.at(-1) ?? '', `the batches hold ${offset} records; expected ${split.count}`);
  return out;
}
