/**
 * Turning what the user draws or drops into the pixels a model was trained on: uint8, height ×
 * width × channels, the dataset's size. The core scales them to [0, 1] with the table training
 * uses; here they are only resized, made grey or kept in colour, and (for a drawing) framed the
 * way MNIST frames its digits. Pure functions over plain arrays, so they are tested without a canvas.
 */

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, row-major, 4 bytes a pixel (a canvas's ImageData.data). */
  data: Uint8ClampedArray | Uint8Array;
}

/** ITU-R BT.601 luma, the grey scale of a colour photo. */
function luma(data: RgbaImage['data'], i: number): number {
  return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
}

/**
 * Area-average resampling of one channel: each output pixel is the mean of the input area it
 * covers, partial pixels weighted by how much of them it covers. No ringing, and a downscale by a
 * whole factor is the plain block mean.
 */
export function resizeArea(src: Float64Array, width: number, height: number, outWidth: number, outHeight: number): Float64Array {
  const out = new Float64Array(outWidth * outHeight);
  const sx = width / outWidth;
  const sy = height / outHeight;
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(height, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(width, Math.ceil(x1)); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += w * src[y * width + x]!;
          area += w;
        }
      }
      out[oy * outWidth + ox] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** The largest centred square of an image (a photo is rarely square; a dataset image always is). */
function centreSquare(image: RgbaImage): { x: number; y: number; size: number } {
  const size = Math.min(image.width, image.height);
  return { x: Math.floor((image.width - size) / 2), y: Math.floor((image.height - size) / 2), size };
}

/** One channel of the centred square as floats: a colour channel (0–2), or luma (-1). */
function channelOf(image: RgbaImage, channel: number, square: { x: number; y: number; size: number }): Float64Array {
  const out = new Float64Array(square.size * square.size);
  for (let y = 0; y < square.size; y++) {
    for (let x = 0; x < square.size; x++) {
      const i = ((square.y + y) * image.width + square.x + x) * 4;
      out[y * square.size + x] = channel < 0 ? luma(image.data, i) : image.data[i + channel]!;
    }
  }
  return out;
}

/**
 * A dropped picture as a model input of `shape` ([height, width, channels]): its centred square
 * resized by area averaging; grey (luma) for one channel, RGB for three. `invert` turns a dark
 * drawing on white paper into MNIST's white on black.
 */
export function pictureToInput(image: RgbaImage, shape: readonly [number, number, number], invert = false): Uint8Array {
  const [height, width, channels] = shape;
  const square = centreSquare(image);
  const planes = channels === 1 ? [-1] : [0, 1, 2].slice(0, channels);
  const resized = planes.map((c) => resizeArea(channelOf(image, c, square), square.size, square.size, width, height));
  const out = new Uint8Array(height * width * channels);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < channels; c++) {
      const v = resized[c]![p]!;
      out[p * channels + c] = toByte(invert ? 255 - v : v);
    }
  }
  return out;
}

/** Whether a picture reads as dark ink on a light background (its border is mostly light). */
export function hasLightBackground(image: RgbaImage): boolean {
  let sum = 0;
  let count = 0;
  for (let x = 0; x < image.width; x++) {
    for (const y of [0, image.height - 1]) {
      sum += luma(image.data, (y * image.width + x) * 4);
      count++;
    }
  }
  for (let y = 0; y < image.height; y++) {
    for (const x of [0, image.width - 1]) {
      sum += luma(image.data, (y * image.width + x) * 4);
      count++;
    }
  }
  return sum / count > 127;
}

/**
 * A drawing framed the way MNIST frames its digits (LeCun et al.): the ink's bounding box scaled
 * to fit 20×20 keeping its aspect, then placed in the 28×28 image so that its centre of mass is
 * the centre. Without this a digit drawn small in a corner is a picture no MNIST model has seen.
 * `grey` is size × size, white ink (255) on black (0); an empty drawing comes back unchanged.
 */
export function frameLikeMnist(grey: Uint8Array, size = 28, box = 20): Uint8Array {
  let top = size;
  let bottom = -1;
  let left = size;
  let right = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (grey[y * size + x]! > 0) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return grey.slice();
  const inkW = right - left + 1;
  const inkH = bottom - top + 1;
  const scale = box / Math.max(inkW, inkH);
  const w = Math.max(1, Math.round(inkW * scale));
  const h = Math.max(1, Math.round(inkH * scale));
  const ink = new Float64Array(inkW * inkH);
  for (let y = 0; y < inkH; y++) for (let x = 0; x < inkW; x++) ink[y * inkW + x] = grey[(top + y) * size + left + x]!;
  const scaled = resizeArea(ink, inkW, inkH, w, h);
  // Centre of mass of the scaled ink, then the shift that puts it at the image's centre.
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = scaled[y * w + x]!;
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  const offsetX = Math.round(size / 2 - cx / mass);
  const offsetY = Math.round(size / 2 - cy / mass);
  const out = new Uint8Array(size * size);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + offsetX;
      const ty = y + offsetY;
      if (tx >= 0 && tx < size && ty >= 0 && ty < size) out[ty * size + tx] = toByte(scaled[y * w + x]!);
    }
  }
  return out;
}

/** A drawing (white strokes on a black canvas of any size) as a size × size grey image. */
export function drawingToGrey(image: RgbaImage, size = 28): Uint8Array {
  const grey = resizeArea(channelOf(image, -1, { x: 0, y: 0, size: image.width }), image.width, image.height, size, size);
  return Uint8Array.from(grey, toByte);
}
