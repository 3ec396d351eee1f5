import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import { exportKeras } from '../models/keras/kerasExport.ts';
import { importKeras } from '../models/keras/kerasImport.ts';
import { presets } from '../models/presets.ts';
import { summarizeModel } from '../models/modelSummary.ts';
import type { ServiceContext } from '../context.ts';

/** Spec-level methods: pure shape arithmetic and JSON mapping, no tfjs in the service process. */
export function trainingHandlers(
  _ctx: ServiceContext,
): Handlers<Pick<Methods, 'training.presets' | 'training.summary' | 'training.importKeras' | 'training.exportKeras'>> {
  return {
    'training.importKeras': ({ json, layersOnly }) => importKeras(json, { layersOnly }),
    'training.exportKeras': ({ spec, hyperparameters }) => exportKeras(spec, hyperparameters),
    'training.presets': () => presets.map((p) => ({ ...p, summary: summarizeModel(p.spec) })),
    'training.summary': ({ spec }) => summarizeModel(spec),
  };
}
