import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCifarBatch } from './cifarReader.ts';
import { readIdxImages, readIdxLabels } from './idxReader.ts';
import { decompress } from './problems.ts';
import { cifarRecord, idxImages, idxLabels } from './testing/fixtures.ts';

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

describe('IDX reader', () => {
  it('reads images and labels', () => {
    const images = readIdxImages(u8(idxImages(3, 2, 2)), 'x-images');
    expect(images).toMatchObject({ count: 3, height: 2, width: 2 });
    expect(Array.from(images.pixels)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13]);
    expect(Array.from(readIdxLabels(u8(idxLabels([0, 9, 3])), 'x-labels'))).toEqual([0, 9, 3]);
  });

  it('reads gzip or raw through decompress', () => {
    const raw = idxImages(2, 28, 28);
    const viaGzip = readIdxImages(decompress(u8(gzipSync(raw)), 'a.gz', raw.length), 'a.gz');
    expect(Buffer.from(viaGzip.pixels).equals(raw.subarray(16))).toBe(true);
    expect(decompress(u8(raw), 'a', raw.length)).toEqual(u8(raw));
  });

  it('refuses wrong magic numbers, naming the file', () => {
    expect(() => readIdxImages(u8(idxLabels([1, 2, 3, 4, 5, 6, 7, 8, 9])), 'train-images-idx3-ubyte')).toThrow(
      /^train-images-idx3-ubyte: wrong magic number 2049 \(that is a label file\); an IDX image file starts with 2051/,
    );
    expect(() => readIdxLabels(u8(idxImages(1, 2, 2)), 'lab')).toThrow(/lab: wrong magic number 2051/);
    expect(() => readIdxImages(u8(idxImages(1, 2, 2, { magic: 0x12345678 })), 'img')).toThrow(
      /^img: does not start with the IDX magic number 2051: not an IDX image file$/,
    );
  });

  it('refuses counts that disagree with the file size', () => {
    const full = idxImages(10, 28, 28);
    expect(() => readIdxImages(u8(full.subarray(0, full.length - 100)), 'img')).toThrow(
      'img: truncated: the header says 10 images of 28x28 (7856 bytes) but the file has 7756 bytes',
    );
    expect(() => readIdxImages(u8(idxImages(2, 28, 28, { extra: 5 })), 'img')).toThrow(/img: has trailing bytes/);
    expect(() => readIdxLabels(u8(idxLabels([1, 2], { count: 5 })), 'lab')).toThrow(/lab: truncated: the header says 5 labels/);
    expect(() => readIdxImages(u8(Buffer.from([0, 0, 8, 3])), 'img')).toThrow(
      /img: truncated: 4 bytes is shorter than the 16-byte IDX image header/,
    );
  });

  it('refuses labels outside 0..9', () => {
    expect(() => readIdxLabels(u8(idxLabels([0, 1, 10])), 'lab')).toThrow('lab: label 10 at record 2 is outside 0..9');
  });
});

describe('decompress guards', () => {
  it('refuses a gzip bomb beyond the expected size', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => decompress(u8(bomb), 'train-labels-idx1-ubyte.gz', 60008)).toThrow(
      /train-labels-idx1-ubyte.gz: decompresses to more than 60008 bytes, far beyond this dataset's size \(a gzip bomb/,
    );
  });

  it('refuses truncated gzip and HTML pages', () => {
    const gz = gzipSync(idxImages(100, 28, 28));
    expect(() => decompress(u8(gz.subarray(0, gz.length / 2)), 'a.gz', 1e6)).toThrow(/a.gz: gzip data is truncated/);
    const html = Buffer.from('<!DOCTYPE html>\n<html><body><h1>403 Forbidden</h1></body></html>');
    expect(() => decompress(u8(html), 'train-images-idx3-ubyte.gz', 1e6)).toThrow(
      /train-images-idx3-ubyte.gz: is an HTML page, not dataset data/,
    );
  });
});

describe('CIFAR reader', () => {
  it('turns channel-planar records into NHWC', () => {
    const file = Buffer.concat([cifarRecord(3, [0, 100, 200]), cifarRecord(9, [7, 8, 9])]);
    const batch = readCifarBatch(u8(file), 'b.bin');
    expect(batch.count).toBe(2);
    expect(Array.from(batch.labels)).toEqual([3, 9]);
    // pixel 0 of image 0 is (R, G, B) = (0, 100, 200); pixel 5 is (5, 105, 205); image 1's pixel 1023 is (1030, 1031, 1032) & 255.
    expect(Array.from(batch.images.subarray(0, 3))).toEqual([0, 100, 200]);
    expect(Array.from(batch.images.subarray(15, 18))).toEqual([5, 105, 205]);
    expect(Array.from(batch.images.subarray(3072 + 1023 * 3, 3072 + 1024 * 3))).toEqual([1030 & 255, 1031 & 255, 1032 & 255]);
  });

  it('refuses a size that is not a multiple of 3073 and labels out of range', () => {
    const two = Buffer.concat([cifarRecord(1, [0, 0, 0]), cifarRecord(2, [0, 0, 0])]);
    expect(() => readCifarBatch(u8(two.subarray(0, 5000)), 'data_batch_1.bin')).toThrow(
      /^data_batch_1.bin: size 5000 is not a multiple of the 3073-byte CIFAR record/,
    );
    expect(() => readCifarBatch(u8(Buffer.concat([two, cifarRecord(12, [0, 0, 0])])), 'x.bin')).toThrow(
      'x.bin: the label of record 2 is outside 0..9: not CIFAR-10 binary data',
    );
    expect(() => readCifarBatch(new Uint8Array(0), 'e.bin')).toThrow('e.bin: is empty');
  });
});
