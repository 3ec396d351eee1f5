import { describe, expect, it } from 'vitest';
import { inspectRoute, maxInspectedRuns } from './inspectLinks.ts';

describe('links to the inspect view', () => {
  it('take the first runs up to the limit, on the tab asked for', () => {
    const ids = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(inspectRoute(ids, 'filters')).toBe(`/inspect?ids=${ids.slice(0, maxInspectedRuns).join(',')}&tab=filters`);
    expect(inspectRoute([7], 'try')).toBe('/inspect?ids=7&tab=try');
  });
});
