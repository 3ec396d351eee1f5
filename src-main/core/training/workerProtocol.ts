import { z } from 'zod';
import { BackendProbe } from '../contract/index.ts';

/**
 * Messages between main and a worker process. Both sides parse what they receive with these
 * schemas and throw on an unknown type: a worker of another version must fail loudly.
 */
export const ToWorker = z.discriminatedUnion('type', [z.object({ type: z.literal('probe') })]);
export type ToWorker = z.infer<typeof ToWorker>;

export const FromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('probeResult'), backends: z.array(BackendProbe) }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type FromWorker = z.infer<typeof FromWorker>;
