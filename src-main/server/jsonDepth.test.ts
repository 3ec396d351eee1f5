import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepthExceededAt } from '../core/contract/jsonDepth.ts';

/** The nesting depth of a parsed value, for comparison. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('jsonDepthExceededAt', () => {
  it('agrees with the depth of the parsed value, for any JSON and any limit (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonDepthExceededAt(text, max) >= 0).toBe(depthOf(value) > max);
      }),
      { numRuns: 500 },
    );
  });

  it('does not count brackets in strings, escaped quotes included', () => {
    expect(jsonDepthExceededAt(JSON.stringify({ a: '[[[[{{{{', b: 'x\\"[[[[' }), 1)).toBe(-1);
    expect(jsonDepthExceededAt('[[[1]]]', 2)).toBe(2);
  });

  it('scans a million levels without recursion', () => {
    expect(jsonDepthExceededAt('['.repeat(1_000_000) + ']'.repeat(1_000_000))).toBe(64);
  });
});
