import { describe, expect, it } from 'vitest';
import { pcLinesOf } from './sweepCharts.ts';

describe('parallel coordinates of a sweep', () => {
  const points = [
    { runId: 1, values: { kernelSize: 3, epochs: 1 }, metric: 0.9 },
    { runId: 2, values: { kernelSize: 5, epochs: 1 }, metric: 0.8 },
    { runId: 3, values: { kernelSize: 5, epochs: 2 }, metric: null },
  ];
  const palette: Record<string, string> = { 'kernelSize=3': 'red', 'kernelSize=5': 'blue', 'epochs=1': 'green', 'epochs=2': 'grey' };

  it('colours each line by the chosen "colour by" axis, and follows a new choice', () => {
    const byKernel = pcLinesOf(
      points,
      ['kernelSize', 'epochs'],
      'val_accuracy',
      'kernelSize',
      (v) => palette[`kernelSize=${String(v)}`]!,
      null,
    );
    expect(byKernel.map((l) => l.color)).toEqual(['red', 'blue']);
    const byEpochs = pcLinesOf(points, ['kernelSize', 'epochs'], 'val_accuracy', 'epochs', (v) => palette[`epochs=${String(v)}`]!, null);
    expect(byEpochs.map((l) => l.color)).toEqual(['green', 'green']);
  });

  it('runs through every axis and the metric; a run without a value yet has no line', () => {
    const lines = pcLinesOf(points, ['kernelSize', 'epochs'], 'val_accuracy', 'kernelSize', () => 'x', {
      min: 0.8,
      max: 0.9,
      better: 'max',
    });
    expect(lines.map((l) => l.key)).toEqual([1, 2]);
    expect(lines[0]).toMatchObject({ values: { kernelSize: 3, epochs: 1, val_accuracy: 0.9 }, t: 1 });
  });
});
