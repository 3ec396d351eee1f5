import { describe, expect, it } from 'vitest';
import { axesSpec, newAxis } from './axesDraft.ts';

describe('axesSpec', () => {
  it('reads lists of numbers, words and per-layer arrays', () => {
    expect(
      axesSpec([
        newAxis('kernelSize', '3, 5'),
        newAxis('epochs', '1,2'),
        newAxis('optimizer', 'adam, sgd'),
        newAxis('filters', '[6,16], [12, 32]'),
      ]),
    ).toEqual({
      kernelSize: [3, 5],
      epochs: [1, 2],
      optimizer: ['adam', 'sgd'],
      filters: [
        [6, 16],
        [12, 32],
      ],
    });
  });

  it('passes a range through with its scale', () => {
    expect(axesSpec([{ ...newAxis('learningRate'), mode: 'range', min: '0.0001', max: '0.01', steps: '3', scale: 'log' }])).toEqual({
      learningRate: { min: 0.0001, max: 0.01, steps: 3, scale: 'log' },
    });
  });
});
