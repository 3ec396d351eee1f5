import type { ModelSpec, ModelSummaryOutput } from '../contract/training.ts';
import { receptiveFields } from './receptiveField.ts';
import { inferShapes } from './shapeInference.ts';

/**
 * What the model builder, a run's model table and `kernellab summary` show for each layer:
 * output shape, parameters and FLOPs (inferShapes) with its receptive field beside them.
 */
export function summarizeModel(spec: ModelSpec): ModelSummaryOutput {
  const summary = inferShapes(spec);
  const fields = receptiveFields(spec);
  return { ...summary, rows: summary.rows.map((row) => ({ ...row, receptiveField: fields[row.index] ?? null })) };
}
