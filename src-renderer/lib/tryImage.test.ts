import { describe, expect, it } from 'vitest';
import { drawingToGrey, frameLikeMnist, hasLightBackground, pictureToInput, resizeArea, type RgbaImage } from './tryImage.ts';

function rgba(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return { width, height, data };
}

describe('the picture a model sees', () => {
  it('averages whole blocks when shrinking by a whole factor, and weighs partial pixels otherwise', () => {
    const src = Float64Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(resizeArea(src, 4, 4, 2, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
    // 3 → 2: the middle pixel is split half and half between the two outputs.
    expect(Array.from(resizeArea(Float64Array.from([0, 30, 60]), 3, 1, 2, 1))).toEqual([10, 50]);
  });

  it('keeps colour for a CIFAR-10 model: the centred square of a photo, 32×32×3, channels innermost', () => {
    // 96×64: red left half, blue right half; the centred 64×64 square spans x 16..79.
    const photo = rgba(96, 64, (x) => (x < 48 ? [255, 0, 0] : [0, 0, 255]));
    const input = pictureToInput(photo, [32, 32, 3]);
    expect(input).toHaveLength(32 * 32 * 3);
    expect(Array.from(input.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(input.subarray((32 - 1) * 3, 32 * 3))).toEqual([0, 0, 255]);
  });

  it('turns dark ink on paper into white on black for MNIST, and says the paper is light', () => {
    const paper = rgba(56, 56, (x, y) => (x >= 20 && x < 36 && y >= 8 && y < 48 ? [0, 0, 0] : [250, 250, 250]));
    expect(hasLightBackground(paper)).toBe(true);
    const input = pictureToInput(paper, [28, 28, 1], true);
    expect(input[14 * 28 + 14]).toBe(255);
    expect(input[0]).toBe(5);
  });

  it('frames a small digit drawn in a corner as MNIST does: 20 pixels tall, its mass at the centre', () => {
    const grey = new Uint8Array(28 * 28);
    for (let y = 1; y < 11; y++) grey[y * 28 + 2] = 255; // a "1": one pixel wide, 10 tall, top left
    const framed = frameLikeMnist(grey);
    const rows = [...Array(28).keys()].filter((y) => [...Array(28).keys()].some((x) => framed[y * 28 + x]! > 0));
    expect(rows.length).toBe(20);
    expect(rows[0]).toBe(4);
    const cols = [...Array(28).keys()].filter((x) => rows.some((y) => framed[y * 28 + x]! > 0));
    expect(cols).toEqual([13, 14]);
    expect(frameLikeMnist(new Uint8Array(784))).toEqual(new Uint8Array(784));
  });

  it('shrinks a 280×280 drawing to 28×28 grey by block means', () => {
    const canvas = rgba(280, 280, (x, y) => (x >= 140 && x < 150 && y >= 50 && y < 230 ? [255, 255, 255] : [0, 0, 0]));
    const grey = drawingToGrey(canvas);
    expect(grey[10 * 28 + 14]).toBe(255);
    expect(grey[10 * 28 + 13]).toBe(0);
    expect(grey[2 * 28 + 14]).toBe(0);
  });
});
