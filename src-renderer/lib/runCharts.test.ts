import { describe, expect, it } from 'vitest';
import { formatMetric } from './format.ts';
import { chartUnit, splitChartGroups, throughputText, xTicks } from './runCharts.ts';
import { kindTable, rankNote } from './metricKinds.ts';

const kinds = kindTable([
  { key: 'loss', kind: 'result', better: 'min' },
  { key: 'val_loss', kind: 'result', better: 'min' },
  { key: 'accuracy', kind: 'result', better: 'max' },
  { key: 'val_accuracy', kind: 'result', better: 'max' },
  { key: 'samples_per_sec', kind: 'speed', better: 'max' },
  { key: 'rss_bytes', kind: 'resource', better: null },
  { key: 'num_tensors', kind: 'resource', better: null },
  { key: 'epoch_seconds', kind: 'resource', better: null },
]);

describe('run charts', () => {
  it('keeps loss and accuracy up front and moves images/s, memory, tensors and epoch seconds to the system section', () => {
    const { main, system } = splitChartGroups(Object.keys(kinds), kinds);
    expect(main.map((g) => g.title)).toEqual(['loss', 'accuracy']);
    expect(system.map((g) => g.title)).toEqual(['epoch_seconds', 'num_tensors', 'rss_bytes', 'samples_per_sec']);
  });

  it('a key the core has not described yet waits in the system section', () => {
    expect(splitChartGroups(['loss', 'grad_norm'], kindTable([{ key: 'loss', kind: 'result', better: 'min' }])).system).toEqual([
      { title: 'grad_norm', keys: ['grad_norm'] },
    ]);
  });

  it('shows bytes as MiB', () => {
    expect(chartUnit('rss_bytes')).toEqual({ scale: 1 / 1048576, suffix: ' (MiB)' });
    expect(chartUnit('loss')).toEqual({ scale: 1, suffix: '' });
    expect(formatMetric(734_003_200, 'rss_bytes')).toBe('700.0 MiB');
    expect(formatMetric(700, 'rss_bytes (MiB)')).toBe('700');
  });

  it('ticks the epoch axis at whole epochs only', () => {
    expect(xTicks('epoch')).toEqual({ precision: 0 });
    expect(xTicks('step')).toEqual({});
  });

  it('shows the measured images/s of a finished run, the live rate of a running one', () => {
    expect(throughputText(null, 3307.4)).toBe('3,307 images/s');
    expect(throughputText(2100.2, 3307.4)).toBe('2,100 images/s');
    expect(throughputText(null, null)).toBe('—');
  });

  it('says which way each kind ranks', () => {
    expect(rankNote({ kind: 'speed', better: 'max' })).toBe('higher is better');
    expect(rankNote({ kind: 'result', better: 'min' })).toBe('lower is better');
    expect(rankNote({ kind: 'resource', better: null })).toBe('not ranked');
  });
});
