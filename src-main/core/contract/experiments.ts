/** Experiments: named groups of runs and sweeps, with their run counts. */
import { z } from 'zod';
import { method } from './define.ts';

const Id = z.number().int().positive();

export const Experiment = z.object({
  id: Id,
  uuid: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.number(),
  runCount: z.number().int(),
});
export type Experiment = z.infer<typeof Experiment>;

export const experimentsMethods = {
  'experiments.list': method({
    input: z.object({}).strict().default({}),
    output: z.array(Experiment),
    summary: 'Experiments with their run counts.',
  }),
  'experiments.create': method({
    input: z.object({ name: z.string().trim().min(1).max(200), description: z.string().max(10_000).default('') }).strict(),
    output: Experiment,
    summary: 'Creates an experiment (names are unique).',
  }),
};

export const experimentsEvents = {};
