import { describe, expect, it } from 'vitest';
import { labelRunsByDiff } from './runLabels.ts';

describe('labelRunsByDiff', () => {
  it('names runs by the params that differ, leaving out the shared ones', () => {
    const labels = labelRunsByDiff([
      { id: 1, name: 'a', params: { kernelSize: 3, epochs: 1, 'hyperparameters.learningRate': 0.001 } },
      { id: 2, name: 'b', params: { kernelSize: 5, epochs: 1, 'hyperparameters.learningRate': 0.001 } },
      { id: 3, name: 'c', params: { kernelSize: 5, epochs: 2, 'hyperparameters.learningRate': 0.001 } },
    ]);
    expect(labels.get(1)).toBe('#1 epochs=1 kernelSize=3');
    expect(labels.get(3)).toBe('#3 epochs=2 kernelSize=5');
  });

  it('falls back to the run name when nothing differs', () => {
    const labels = labelRunsByDiff([
      { id: 4, name: 'baseline', params: { epochs: 1 } },
      { id: 5, name: 'again', params: { epochs: 1 } },
    ]);
    expect(labels.get(4)).toBe('#4 baseline');
  });
});
