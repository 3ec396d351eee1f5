import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeTempDir } from '../../test/tempDir.ts';
import { NewRun, RunStore } from './RunStore.ts';
import { newRunUuid } from './runUuid.ts';

const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('a new run uuid', () => {
  it('is a version 7 uuid the import schema takes, unique, with the time first so runs queued together sort together', () => {
    const uuids = Array.from({ length: 20_000 }, (_, i) => newRunUuid(1_796_000_000_000 + Math.floor(i / 100)));
    for (const uuid of uuids.slice(0, 500)) {
      expect(z.uuid().safeParse(uuid).success).toBe(true);
      expect(uuid).toMatch(v7);
    }
    expect(new Set(uuids).size).toBe(uuids.length);
    // Milliseconds in the first 48 bits: a later run's uuid starts later.
    expect(uuids[0]!.replace('-', '').slice(0, 12)).toBe((1_796_000_000_000).toString(16).padStart(12, '0'));
    const prefixes = uuids.map((u) => u.slice(0, 13));
    expect([...prefixes].sort()).toEqual(prefixes);
  });

  it('is what a run created or queued with a sweep gets, and a given uuid (an import) is kept', () => {
    const temp = makeTempDir('kernellab-run-uuid-');
    const store = RunStore.open(join(temp.dir, 'kernellab.db'));
    try {
      const run: z.input<typeof NewRun> = {
        name: 'cnn',
        modelSpec: { name: 'm', layers: [] },
        dataset: 'mnist',
        backend: 'cpu',
        seed: 1,
        hyperparameters: {},
      };
      expect(store.createRun(run).uuid).toMatch(v7);
      const sweepId = store.createSweep({ name: 's', spec: {} }).id;
      const ids = store.addSweepRuns(
        sweepId,
        [1, 2, 3].map((seed) => NewRun.parse({ ...run, seed })),
      );
      for (const id of ids) expect(store.getRun(id)!.uuid).toMatch(v7);
      const given = '0b7f3c2e-8a4d-4f1b-9c3e-2d5a6b7c8d9e';
      expect(store.createRun({ ...run, uuid: given }).uuid).toBe(given);
    } finally {
      store.close();
      temp.cleanup();
    }
  });
});
