import { describe, expect, it } from 'vitest';
import { confidentMistakes } from './confidentMistakes.ts';

const evaluation = (mostWrong: { index: number; label: number; predicted: number; confidence: number }[]) => ({
  split: 'test',
  loss: null,
  accuracy: null,
  confusion: [],
  perClass: ['zero', 'one', 'two'].map((label) => ({ label, precision: 0, recall: 0, f1: 0, support: 0 })),
  mostWrong,
  createdAt: 0,
});

describe('the most confidently wrong test images of several runs', () => {
  it('lists each image once, at its most confident mistake, most confident first, with class names', () => {
    const runs = [
      { id: 1, evaluations: [evaluation([{ index: 7, label: 1, predicted: 2, confidence: 0.6 }])] },
      {
        id: 2,
        evaluations: [
          evaluation([
            { index: 7, label: 1, predicted: 0, confidence: 0.9 },
            { index: 3, label: 2, predicted: 1, confidence: 0.7 },
          ]),
        ],
      },
      { id: 3, evaluations: [] },
    ];
    expect(confidentMistakes(runs, 10)).toEqual([
      { index: 7, label: 'one', predicted: 'zero', confidence: 0.9, runId: 2 },
      { index: 3, label: 'two', predicted: 'one', confidence: 0.7, runId: 2 },
    ]);
    expect(confidentMistakes(runs, 1)).toHaveLength(1);
  });
});
