/**
 * The one API contract: methods and events with their zod schemas, one file per namespace
 * (app, datasets, experiments, runs, sweeps, training), the maps every shell is driven from
 * (api.ts) and what crosses a process boundary (bridge.ts). The contract imports only zod and
 * itself; the rest of core builds on it. The renderer imports it with `import type` only.
 */
export * from './agents.ts';
export * from './api.ts';
export * from './app.ts';
export * from './clusters.ts';
export * from './coreText.ts';
export * from './datasets.ts';
export * from './experiments.ts';
export * from './inspect.ts';
export * from './metrics.ts';
export * from './engines.ts';
export * from './runs.ts';
export * from './sweeps.ts';
export * from './training.ts';
export type * from './bridge.ts';
