import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import { presets } from '../models/presets.ts';
import { inferShapes } from '../models/shapeInference.ts';
import type { ServiceContext } from '../service.ts';

/** Spec-level methods: pure shape arithmetic, so main never loads tfjs for them. */
export function trainingHandlers(_ctx: ServiceContext): Handlers<Pick<Methods, 'training.presets' | 'training.summary'>> {
  return {
    'training.presets': () => presets.map((p) => ({ ...p, summary: inferShapes(p.spec) })),
    'training.summary': ({ spec }) => inferShapes(spec),
  };
}
