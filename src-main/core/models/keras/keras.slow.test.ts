import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presets } from '../presets.ts';
import { inferShapes } from '../shapeInference.ts';
import { exportKeras } from './kerasExport.ts';
import { importKeras } from './kerasImport.ts';

interface Built {
  params: number;
  layers: [string, number[], number][];
  optimizer: Record<string, unknown> | null;
  to_json: string;
  error?: string;
}

/** What Keras itself builds from each JSON text (fixtures/load_in_keras.py), or why it cannot run here. */
function loadInKeras(models: Record<string, string>): Record<string, Built> | { absent: string } {
  const result = spawnSync('python3', [join(import.meta.dirname, 'fixtures', 'load_in_keras.py')], {
    input: JSON.stringify(models),
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  if (result.error) return { absent: `python3 cannot run here (${result.error.message})` };
  if (result.status !== 0) throw new Error(`load_in_keras.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, Built> | { absent: string };
}

const exportable = presets.filter((p) => !p.spec.layers.some((l) => l.type === 'lrn'));
const loaded = loadInKeras(Object.fromEntries(exportable.map((p) => [p.id, exportKeras(p.spec, p.hyperparameters).json])));
const absent = 'absent' in loaded ? (loaded.absent as string) : null;
if (absent) console.warn(`Keras round trip skipped: ${absent}`);

describe.skipIf(absent !== null)('Keras loads what KernelLab exports (keras.models.model_from_json)', () => {
  const built = loaded as Record<string, Built>;
  for (const preset of exportable) {
    it(`${preset.id}: the same layers, output shapes and parameter count, compiled with the same optimizer`, () => {
      const keras = built[preset.id]!;
      expect(keras.error).toBeUndefined();
      const summary = inferShapes(preset.spec);
      expect(keras.params).toBe(summary.totalParams);
      // Keras' layers one for one with KernelLab's rows (the output is the last Dense).
      expect(keras.layers.map(([, shape, params]) => [shape, params])).toEqual(summary.rows.map((r) => [r.outputShape, r.params]));
      const hp = preset.hyperparameters;
      const expectedClass = { adam: 'Adam', rmsprop: 'RMSprop', sgd: 'SGD', momentum: 'SGD' }[hp.optimizer];
      expect(keras.optimizer).toMatchObject({ class: expectedClass });
      expect(keras.optimizer!.learning_rate as number).toBeCloseTo(hp.learningRate, 9);
      if (hp.optimizer === 'adam') expect(keras.optimizer!.epsilon).toBeCloseTo(hp.epsilon, 12);
    });

    it(`${preset.id}: Keras' own JSON of the loaded model imports to the same spec (Keras JSON → spec → Keras JSON)`, () => {
      expect(importKeras(built[preset.id]!.to_json).spec).toEqual(preset.spec);
    });
  }
});
