/**
 * A run's prepared splits as one byte string, so the server (which alone reads the data folder)
 * can hand a browser GPU host exactly the images a worker process would train on: the same
 * subset, the same validation split (training/trainingData.ts prepareData). No Node imports: the
 * page decodes what the server encoded.
 *
 * Layout: 4 bytes little-endian header length, the header as UTF-8 JSON, then each part's bytes
 * at the offset the header names (images, labels per split; the test indices as uint32 LE).
 */
import { z } from 'zod';

export interface SplitBytes<B extends ArrayBufferLike = ArrayBuffer> {
  images: Uint8Array<B>;
  labels: Uint8Array<B>;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
}

export interface RunData {
  train: SplitBytes;
  validation: SplitBytes | null;
  test: SplitBytes;
  testIndices: Uint32Array<ArrayBuffer> | null;
}

const Part = z.object({ offset: z.number().int().min(0), bytes: z.number().int().min(0) }).strict();
const SplitHeader = z
  .object({
    images: Part,
    labels: Part,
    count: z.number().int().min(0),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    channels: z.number().int().positive(),
    classNames: z.array(z.string().max(200)).max(1000),
  })
  .strict();
const Header = z
  .object({
    version: z.literal(1),
    train: SplitHeader,
    validation: SplitHeader.nullable(),
    /** Present when validation is the test split itself (validateOn 'test'): sent once. */
    validationIsTest: z.boolean(),
    test: SplitHeader,
    testIndices: Part.nullable(),
  })
  .strict();

/** The largest header a page accepts (class names are the only free text in it). */
const maxHeaderBytes = 256 * 1024;

export function encodeRunData(data: {
  train: SplitBytes<ArrayBufferLike>;
  validation: SplitBytes<ArrayBufferLike> | null;
  test: SplitBytes<ArrayBufferLike>;
  testIndices: ArrayLike<number> | null;
}): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const add = (bytes: Uint8Array) => {
    parts.push(bytes);
    const part = { offset, bytes: bytes.length };
    offset += bytes.length;
    return part;
  };
  const split = (s: SplitBytes<ArrayBufferLike>): z.infer<typeof SplitHeader> => ({
    images: add(s.images),
    labels: add(s.labels),
    count: s.count,
    height: s.height,
    width: s.width,
    channels: s.channels,
    classNames: s.classNames,
  });
  const validationIsTest = data.validation !== null && data.validation === data.test;
  const train = split(data.train);
  const test = split(data.test);
  const validation = data.validation === null ? null : validationIsTest ? test : split(data.validation);
  let testIndices: z.infer<typeof Part> | null = null;
  if (data.testIndices !== null) {
    const indices = Uint32Array.from(data.testIndices);
    const bytes = new Uint8Array(indices.length * 4);
    const view = new DataView(bytes.buffer);
    indices.forEach((v, i) => view.setUint32(i * 4, v, true));
    testIndices = add(bytes);
  }
  const header = new TextEncoder().encode(JSON.stringify({ version: 1, train, validation, validationIsTest, test, testIndices }));
  const out = new Uint8Array(4 + header.length + offset);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Reads what encodeRunData wrote; throws in words when the bytes are not that. */
export function decodeRunData(bytes: Uint8Array): RunData {
  if (bytes.length < 4) throw new Error('run data: fewer than 4 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(0, true);
  if (headerBytes > maxHeaderBytes || 4 + headerBytes > bytes.length)
    throw new Error(`run data: a header of ${headerBytes} bytes does not fit in ${bytes.length}`);
  const header = Header.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerBytes))));
  const body = bytes.subarray(4 + headerBytes);
  const slice = (part: z.infer<typeof Part>, what: string) => {
    if (part.offset + part.bytes > body.length) throw new Error(`run data: ${what} runs past the end`);
    return body.slice(part.offset, part.offset + part.bytes);
  };
  const split = (s: z.infer<typeof SplitHeader>, what: string): SplitBytes => {
    const images = slice(s.images, `${what} images`);
    const labels = slice(s.labels, `${what} labels`);
    if (images.length !== s.count * s.height * s.width * s.channels || labels.length !== s.count)
      throw new Error(`run data: ${what} holds ${images.length} image bytes and ${labels.length} labels for ${s.count} images`);
    return { images, labels, count: s.count, height: s.height, width: s.width, channels: s.channels, classNames: s.classNames };
  };
  const test = split(header.test, 'test');
  let testIndices: Uint32Array<ArrayBuffer> | null = null;
  if (header.testIndices) {
    const raw = slice(header.testIndices, 'test indices');
    const indexView = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    testIndices = Uint32Array.from({ length: raw.length / 4 }, (_, i) => indexView.getUint32(i * 4, true));
  }
  return {
    train: split(header.train, 'train'),
    validation: header.validation === null ? null : header.validationIsTest ? test : split(header.validation, 'validation'),
    test,
    testIndices,
  };
}
