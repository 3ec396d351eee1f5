/**
 * Learned kernels and feature maps as pixels: each kernel a small tile, laid out in one mosaic per
 * run so that a 64-filter layer of ten runs is ten canvases, not 640 (issue 17's 200 ms budget).
 * Pure functions over typed arrays: the components only put the result on a canvas.
 */

/** RGBA pixels of a mosaic, one image pixel per weight or activation (the canvas scales it up, pixelated). */
export interface Mosaic {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
  /** Tiles across and down, and where tile (row, col) starts: for labels and tests. */
  columns: number;
  rows: number;
  tile: number;
}

/** Gap between tiles, in image pixels, painted in the page's background (transparent). */
const gap = 1;

/** Float32 values sent as base64 of little-endian bytes (contract/inspect.ts Float32Base64). */
export function decodeFloat32Base64(text: string): Float32Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Every platform the app runs on is little-endian, as the core wrote them.
  return new Float32Array(bytes.buffer, 0, bytes.length >> 2);
}

export type FilterScale = 'shared' | 'perFilter';

/** How a filter layer is drawn: RGB tiles when the kernel reads 3 colour channels of the input image, else grey per input channel. */
export interface FilterLayout {
  kernelSize: number;
  inChannels: number;
  filters: number;
  /** Colour tiles (one per filter): the first conv layer of an RGB input. */
  colour: boolean;
}

/** Largest absolute value: the half-range of a colour scale centred on zero. */
export function maxAbs(values: Float32Array): number {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** A weight on a scale centred on zero: −m black, 0 mid grey, +m white. */
function level(v: number, m: number): number {
  return m > 0 ? Math.round(127.5 + (127.5 * v) / m) : 128;
}

/**
 * Filters of one conv layer as a mosaic. `weights` is the kernel as tfjs holds it,
 * [k, k, inChannels, filters] with filters innermost. Colour layers: one RGB tile per filter, in a
 * near-square grid. Grey layers with one input channel: one grey tile per filter, likewise. Grey
 * layers with several input channels: one row per filter, one tile per input channel.
 * `shared`: every tile on one scale ±`sharedMax` (compare magnitudes, across runs too);
 * `perFilter`: each filter on its own ±max (see the shape of weak filters).
 */
export function filterMosaic(weights: Float32Array, layout: FilterLayout, scale: FilterScale, sharedMax: number): Mosaic {
  const { kernelSize: k, inChannels: c, filters: f, colour } = layout;
  if (weights.length !== k * k * c * f) throw new Error(`${weights.length} weights do not make ${f} filters of ${k}×${k}×${c}`);
  const tilesPerFilter = colour ? 1 : c;
  const oneRowEach = tilesPerFilter > 1;
  const columns = oneRowEach ? c : Math.ceil(Math.sqrt(f));
  const rows = oneRowEach ? f : Math.ceil(f / columns);
  const width = columns * (k + gap) - gap;
  const height = rows * (k + gap) - gap;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const at = (y: number, x: number, ch: number, filter: number) => weights[((y * k + x) * c + ch) * f + filter]!;

  for (let filter = 0; filter < f; filter++) {
    let m = sharedMax;
    if (scale === 'perFilter') {
      m = 0;
      for (let y = 0; y < k; y++)
        for (let x = 0; x < k; x++) for (let ch = 0; ch < c; ch++) m = Math.max(m, Math.abs(at(y, x, ch, filter)));
    }
    for (let t = 0; t < tilesPerFilter; t++) {
      const row = oneRowEach ? filter : Math.floor(filter / columns);
      const col = oneRowEach ? t : filter % columns;
      for (let y = 0; y < k; y++)
        for (let x = 0; x < k; x++) {
          const p = ((row * (k + gap) + y) * width + col * (k + gap) + x) * 4;
          if (colour) {
            rgba[p] = level(at(y, x, 0, filter), m);
            rgba[p + 1] = level(at(y, x, 1, filter), m);
            rgba[p + 2] = level(at(y, x, 2, filter), m);
          } else {
            const v = level(at(y, x, t, filter), m);
            rgba[p] = rgba[p + 1] = rgba[p + 2] = v;
          }
          rgba[p + 3] = 255;
        }
    }
  }
  return { width, height, rgba, columns, rows, tile: k };
}

/**
 * One layer's activations for one image as a mosaic of its channels (height × width × channels,
 * channels innermost), each channel a grey tile from the layer's min (black) to its max (white):
 * one scale per layer, so a channel that barely fires looks dark next to one that fires hard.
 */
export function featureMapMosaic(data: Float32Array, shape: readonly [number, number, number], min: number, max: number): Mosaic {
  const [h, w, c] = shape;
  if (data.length !== h * w * c) throw new Error(`${data.length} activations do not make ${h}×${w}×${c}`);
  const columns = Math.ceil(Math.sqrt(c));
  const rows = Math.ceil(c / columns);
  const width = columns * (w + gap) - gap;
  const height = rows * (h + gap) - gap;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const span = max - min;
  for (let ch = 0; ch < c; ch++) {
    const row = Math.floor(ch / columns);
    const col = ch % columns;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = data[(y * w + x) * c + ch]!;
        const g = span > 0 ? Math.round((255 * (v - min)) / span) : 0;
        const p = ((row * (h + gap) + y) * width + col * (w + gap) + x) * 4;
        rgba[p] = rgba[p + 1] = rgba[p + 2] = g;
        rgba[p + 3] = 255;
      }
  }
  return { width, height, rgba, columns, rows, tile: Math.max(h, w) };
}

/** Screen pixels per mosaic pixel: small kernels are blown up to be seen, big mosaics kept on screen. */
export function displayScale(mosaic: Pick<Mosaic, 'width' | 'tile'>, maxWidth: number): number {
  const wanted = Math.max(1, Math.round(40 / mosaic.tile));
  return Math.max(1, Math.min(wanted, Math.floor(maxWidth / mosaic.width)));
}
