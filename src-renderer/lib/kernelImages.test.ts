import { describe, expect, it } from 'vitest';
import { decodeFloat32Base64, displayScale, featureMapMosaic, filterMosaic, maxAbs } from './kernelImages.ts';

/** The grey level of mosaic pixel (x, y). */
const grey = (m: { width: number; rgba: Uint8ClampedArray }, x: number, y: number) => m.rgba[(y * m.width + x) * 4]!;
const rgb = (m: { width: number; rgba: Uint8ClampedArray }, x: number, y: number) =>
  Array.from(m.rgba.subarray((y * m.width + x) * 4, (y * m.width + x) * 4 + 3));

/** A kernel [k, k, c, f] whose value at (y, x, ch, filter) is `value(...)`, laid out as tfjs holds it. */
function kernel(k: number, c: number, f: number, value: (y: number, x: number, ch: number, filter: number) => number) {
  const out = new Float32Array(k * k * c * f);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let ch = 0; ch < c; ch++) for (let i = 0; i < f; i++) out[((y * k + x) * c + ch) * f + i] = value(y, x, ch, i);
  return out;
}

describe('filters as pictures', () => {
  it('reads the float32 base64 the core sends', () => {
    const values = Float32Array.from([1.5, -2, 0.25]);
    const text = btoa(String.fromCharCode(...new Uint8Array(values.buffer)));
    expect(Array.from(decodeFloat32Base64(text))).toEqual([1.5, -2, 0.25]);
  });

  it('draws each filter of a one-channel layer as a grey tile, zero mid grey, on one shared scale', () => {
    // 4 filters of 2×2: filter i holds i−1.5 everywhere except its top-left, which holds 0.
    const w = kernel(2, 1, 4, (y, x, _c, i) => (y === 0 && x === 0 ? 0 : i - 1.5));
    const m = filterMosaic(w, { kernelSize: 2, inChannels: 1, filters: 4, colour: false }, 'shared', maxAbs(w));
    // Four tiles in a 2×2 grid with a one-pixel gap: 5×5 pixels.
    expect([m.columns, m.rows, m.width, m.height]).toEqual([2, 2, 5, 5]);
    expect(grey(m, 0, 0)).toBe(128); // zero
    expect(grey(m, 1, 1)).toBe(0); // filter 0: −1.5 = −max
    expect(grey(m, 4, 4)).toBe(255); // filter 3 (row 1, col 1): +1.5 = +max
    expect(grey(m, 3, 1)).toBe(Math.round(127.5 - 127.5 / 3)); // filter 1: −0.5
    expect(m.rgba[(2 * 5 + 2) * 4 + 3]).toBe(0); // the gap stays transparent
  });

  it('on a per-filter scale stretches a weak filter to full contrast', () => {
    const w = kernel(1, 1, 2, (_y, _x, _c, i) => (i === 0 ? 0.01 : 1));
    const shared = filterMosaic(w, { kernelSize: 1, inChannels: 1, filters: 2, colour: false }, 'shared', 1);
    const own = filterMosaic(w, { kernelSize: 1, inChannels: 1, filters: 2, colour: false }, 'perFilter', 1);
    expect(grey(shared, 0, 0)).toBe(129);
    expect(grey(own, 0, 0)).toBe(255);
  });

  it('draws an RGB first layer in colour and deeper layers as one row of grey tiles per filter', () => {
    // 2 filters of 1×1 over 3 channels: filter 0 is pure +red, filter 1 pure −blue.
    const w = kernel(1, 3, 2, (_y, _x, ch, i) => (i === 0 ? (ch === 0 ? 1 : 0) : ch === 2 ? -1 : 0));
    const colour = filterMosaic(w, { kernelSize: 1, inChannels: 3, filters: 2, colour: true }, 'shared', 1);
    expect([colour.columns, colour.rows]).toEqual([2, 1]);
    expect(rgb(colour, 0, 0)).toEqual([255, 128, 128]);
    expect(rgb(colour, 2, 0)).toEqual([128, 128, 0]);
    const perChannel = filterMosaic(w, { kernelSize: 1, inChannels: 3, filters: 2, colour: false }, 'shared', 1);
    // Rows are filters, columns input channels.
    expect([perChannel.columns, perChannel.rows, perChannel.width, perChannel.height]).toEqual([3, 2, 5, 3]);
    expect([grey(perChannel, 0, 0), grey(perChannel, 2, 0), grey(perChannel, 4, 2)]).toEqual([255, 128, 0]);
  });

  it('refuses weights that do not make the layer', () => {
    expect(() => filterMosaic(new Float32Array(5), { kernelSize: 2, inChannels: 1, filters: 2, colour: false }, 'shared', 1)).toThrow(
      '5 weights do not make 2 filters of 2×2×1',
    );
  });
});

describe('feature maps as pictures', () => {
  it('draws each channel as a grey tile from the layer minimum (black) to its maximum (white)', () => {
    // 2×2 activations with 2 channels: channel 0 counts 0..3, channel 1 is 3 everywhere.
    const data = Float32Array.from([0, 3, 1, 3, 2, 3, 3, 3]);
    const m = featureMapMosaic(data, [2, 2, 2], 0, 3);
    expect([m.columns, m.rows, m.width, m.height]).toEqual([2, 1, 5, 2]);
    expect([grey(m, 0, 0), grey(m, 1, 0), grey(m, 0, 1), grey(m, 1, 1)]).toEqual([0, 85, 170, 255]);
    expect(grey(m, 3, 0)).toBe(255);
  });

  it('keeps small kernels visible and big mosaics on screen', () => {
    expect(displayScale({ width: 20, tile: 5 }, 600)).toBe(8);
    expect(displayScale({ width: 20, tile: 26 }, 600)).toBe(2);
    expect(displayScale({ width: 400, tile: 5 }, 600)).toBe(1);
    expect(displayScale({ width: 2000, tile: 5 }, 600)).toBe(1);
  });
});
