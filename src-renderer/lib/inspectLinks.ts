/**
 * Where "look inside these runs" leads. The renderer imports the contract as types only, so the
 * limit of inspect.filters/predict is repeated here; inspectLinks.test.ts holds it equal to the contract's.
 */
export const maxInspectedRuns = 24;

export type InspectTab = 'filters' | 'maps' | 'try';

/** The inspect view's route for these runs (the first maxInspectedRuns of them) on a tab. */
export function inspectRoute(ids: readonly number[], tab: InspectTab): string {
  return `/inspect?ids=${ids.slice(0, maxInspectedRuns).join(',')}&tab=${tab}`;
}
