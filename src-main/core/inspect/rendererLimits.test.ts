import { describe, expect, it } from 'vitest';
import { maxInspectedRuns as rendererLimit } from '../../../src-renderer/lib/inspectLinks.ts';
import { maxInspectedRuns } from '../contract/inspect.ts';

describe("the renderer's copy of the inspect limit", () => {
  // The page imports the contract as types only, so it repeats the number: a link must never ask for more runs than the methods take.
  it('equals the contract’s', () => {
    expect(rendererLimit).toBe(maxInspectedRuns);
  });
});
