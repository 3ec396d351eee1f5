import { KernelLabError } from '../errors.ts';
import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import { exportKeras } from '../models/keras/kerasExport.ts';
import { readKerasBytes } from '../models/keras/kerasFile.ts';
import { importKeras } from '../models/keras/kerasImport.ts';
import { presets } from '../models/presets.ts';
import { summarizeModel } from '../models/modelSummary.ts';
import type { ServiceContext } from '../context.ts';

/** Spec-level methods: pure shape arithmetic and JSON mapping, no tfjs in the service process. */
export function trainingHandlers(
  _ctx: ServiceContext,
): Handlers<Pick<Methods, 'training.presets' | 'training.summary' | 'training.importKeras' | 'training.exportKeras'>> {
  return {
    'training.importKeras': async ({ json, kerasFile, layersOnly }) => {
      const text = kerasFile ? (await readKerasBytes(kerasFile.name, Buffer.from(kerasFile.base64, 'base64'))).text : json;
      // The contract already refuses neither-nor; this says so to the type checker too.
      if (text === undefined) throw new KernelLabError('invalid_input', "json: give the model's JSON text or kerasFile");
      return importKeras(text, { layersOnly });
    },
    'training.exportKeras': ({ spec, hyperparameters }) => exportKeras(spec, hyperparameters),
    'training.presets': () => presets.map((p) => ({ ...p, summary: summarizeModel(p.spec) })),
    'training.summary': ({ spec }) => summarizeModel(spec),
  };
}
