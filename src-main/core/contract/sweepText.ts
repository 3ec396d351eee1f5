/**
 * What a sweep's preview and queueing say about the sweep itself (core/sweeps: estimate.ts): part of coreTextParams (coreText.ts), which passes in its
 * list schema of coded sentences (this file cannot import it: coreText.ts imports this file).
 * Axis names, field paths and values pass as they are.
 */
import { z } from 'zod';

// The same kinds of parameter as coreText.ts's.
const count = z.number().int().nonnegative();
const word = z.string().max(1000);

/** `problems`: coreText.ts's schema of a list of coded sentences. */
export function sweepTextParams<Problems extends z.ZodType>(_problems: Problems) {
  return {
    // The estimate's basis (estimate.ts): GFLOP/s as the core wrote them (3.4, 12.35).
    sweep_estimate_rough_default: z.object({ gflops: word }).strict(),
    sweep_estimate_measured: z.object({ runs: count, gflops: word }).strict(),
  } as const;
}
