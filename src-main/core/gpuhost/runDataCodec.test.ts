import { describe, expect, it } from 'vitest';
import { decodeRunData, encodeRunData, type SplitBytes } from './runDataCodec.ts';

const split = (count: number, seed: number): SplitBytes => ({
  images: Uint8Array.from({ length: count * 4 }, (_, i) => (i * 7 + seed) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => (i + seed) % 3),
  count,
  height: 2,
  width: 2,
  channels: 1,
  classNames: ['a', 'b', 'c'],
});

describe('run data as the server hands it to a browser GPU host', () => {
  it('comes back as it went, validation on test sent once, test indices kept', () => {
    const train = split(5, 1);
    const test = split(3, 2);
    const bytes = encodeRunData({ train, validation: test, test, testIndices: [7, 70_000, 3] });
    const back = decodeRunData(bytes);
    expect(back.train).toEqual(train);
    expect(back.test).toEqual(test);
    expect(back.validation).toBe(back.test);
    expect(Array.from(back.testIndices!)).toEqual([7, 70_000, 3]);
    const alone = decodeRunData(encodeRunData({ train, validation: null, test, testIndices: null }));
    expect([alone.validation, alone.testIndices]).toEqual([null, null]);
    // Sent once: the test split's bytes are not in it twice.
    expect(bytes.length).toBeLessThan(encodeRunData({ train, validation: split(3, 2), test, testIndices: [7, 70_000, 3] }).length);
  });

  it('refuses bytes that are not that, in words', () => {
    const bytes = encodeRunData({ train: split(5, 1), validation: null, test: split(3, 2), testIndices: null });
    expect(() => decodeRunData(bytes.subarray(0, 3))).toThrow('run data: fewer than 4 bytes');
    expect(() => decodeRunData(bytes.subarray(0, bytes.length - 1))).toThrow(/run data: test labels runs past the end/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(0, 1 << 30, true);
    expect(() => decodeRunData(huge)).toThrow(/a header of 1073741824 bytes does not fit/);
  });
});
