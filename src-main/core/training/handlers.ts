import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import { presets } from '../models/presets.ts';
import { summarizeModel } from '../models/modelSummary.ts';
import type { ServiceContext } from '../context.ts';

/** Spec-level methods: pure shape arithmetic, no tfjs in the service process. */
export function trainingHandlers(_ctx: ServiceContext): Handlers<Pick<Methods, 'training.presets' | 'training.summary'>> {
  return {
    'training.presets': () => presets.map((p) => ({ ...p, summary: summarizeModel(p.spec) })),
    'training.summary': ({ spec }) => summarizeModel(spec),
  };
}
