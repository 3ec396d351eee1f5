/**
 * A sweep's model specs stored once (migration 0015), not in every run row: about 2.3 KB per run,
 * most of a 100,000-run sweep's database and of the cost of queueing it (issue 12). Every reader
 * of a run answers as it did with the spec in the row.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { StartRunInput } from '../contract/runs.ts';
import { queueSingleRun, queueSweep, removeSweep } from '../sweeps/queueing.ts';
import { tinySweep } from '../sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../sweeps/sweepSpec.ts';
import { buildExport } from './exchange.ts';
import { RunStore, type RunRecord } from './RunStore.ts';
import { measuredThroughput } from './runQueue.ts';

let tmp: { dir: string; cleanup: () => void };
let store: RunStore;
const dbPath = () => join(tmp.dir, 'k.db');
beforeEach(() => {
  tmp = makeTempDir('kernellab-specs-');
  store = RunStore.open(dbPath());
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const axes = { kernelSize: [3, 5], 'layers[3].units': [16, 32] };
/** The same run started by hand: its spec is its own, in its row. */
const byHand = (run: RunRecord) => {
  const values = (run.environment.sweep as { values: Record<string, unknown> }).values;
  return queueSingleRun(store, StartRunInput.parse({ run: tinySweep().base, set: values }));
};
const sql = <T>(query: string, ...args: unknown[]): T => {
  const raw = openRaw(dbPath());
  try {
    return raw
      .prepare(query)
      .pluck()
      .get(...args) as T;
  } finally {
    raw.close();
  }
};

describe('model specs stored once per sweep (migration 0015)', () => {
  it("stores each distinct model of a sweep once, and none in its runs' rows", async () => {
    const swept = await queueSweep(store, parseSweepSpec(tinySweep({ axes, repeats: 3 })));
    expect(swept.runIds).toHaveLength(12);
    expect(sql<number>('SELECT count(*) FROM model_specs')).toBe(4);
    // 'null' per run, where each row held its spec (~300 bytes for this tiny net, ~2.3 KB for LeNet-5).
    expect(sql<number>('SELECT sum(length(model_spec)) FROM runs WHERE sweep_id = ?', swept.sweepId)).toBe(12 * 4);
    expect(sql<number>('SELECT count(DISTINCT model_spec_id) FROM runs WHERE sweep_id = ?', swept.sweepId)).toBe(4);
    // A second sweep of the same models shares the stored specs.
    await queueSweep(store, parseSweepSpec(tinySweep({ axes })));
    expect(sql<number>('SELECT count(*) FROM model_specs')).toBe(4);
  });

  it('answers every reader of a sweep run with the spec the same run started by hand holds', async () => {
    const swept = await queueSweep(store, parseSweepSpec(tinySweep({ axes })));
    const agents = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [5] } })), { runsOn: 'agents' });
    const runs = swept.runIds.map((id) => store.getRun(id)!);
    const hand = runs.map(byHand);
    expect(sql<number | null>('SELECT model_spec_id FROM runs WHERE id = ?', hand[0]!.id)).toBeNull();
    const specs = hand.map((r) => r.modelSpec);
    expect(new Set(specs.map((s) => JSON.stringify(s))).size).toBe(4);
    expect(runs.map((r) => r.modelSpec)).toEqual(specs);
    expect(runs.map((r) => store.getRunByUuid(r.uuid)!.modelSpec)).toEqual(specs);
    expect(runs.map((r) => store.runDetail(r.id).modelSpec)).toEqual(specs);
    expect(store.runsOfSweep(swept.sweepId).map((r) => r.modelSpec)).toEqual(specs);
    expect(store.runsWithStatus('queued', swept.sweepId).map((r) => r.modelSpec)).toEqual(specs);
    // The claim (scheduler) and an agent's claim take the row back from their UPDATE.
    const claimed = store.claimNextRunnable('here', 60_000, { scope: { kind: 'own', sweepIds: [swept.sweepId] } })!;
    expect(claimed.modelSpec).toEqual(specs[swept.runIds.indexOf(claimed.id)]);
    const { token } = store.agents.createToken(agents.sweepId, 'node');
    store.agents.hello({ id: 'agent-1', host: 'node1', job: '', version: '1', backends: ['wasm'], maxRuns: null }, token);
    const agentClaim = store.agents.claim(store.agents.agent('agent-1', token.id)!)!;
    expect(agentClaim.run.modelSpec).toEqual(store.getRun(agents.runIds[0]!)!.modelSpec);
    expect(agentClaim.run.modelSpec).toMatchObject({ layers: [{ kernelSize: 5 }, {}, {}, {}] });
    const raw = openRaw(dbPath());
    try {
      // The export (and so an import elsewhere) carries the spec itself.
      expect(buildExport(raw, swept.runIds).runs.map((r) => r.modelSpec)).toEqual(specs);
      // The throughput estimate reads the spec of completed runs.
      store.logMetric({ runId: claimed.id, key: 'samplesPerSec', step: 0, epoch: 0, value: 100 });
      raw.prepare("UPDATE runs SET status = 'completed', ended_at = 1 WHERE id = ?").run(claimed.id);
      expect(measuredThroughput(raw, ['samplesPerSec'])).toEqual([
        { runId: claimed.id, modelSpec: claimed.modelSpec, backend: claimed.backend, samplesPerSec: 100 },
      ]);
    } finally {
      raw.close();
    }
  });

  it('removes a stored spec with the last run that shares it, in any sweep', async () => {
    const first = await queueSweep(store, parseSweepSpec(tinySweep({ axes })));
    const second = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3] } })));
    expect(sql<number>('SELECT count(*) FROM model_specs')).toBe(4);
    await removeSweep(store, first.sweepId);
    // kernelSize 3 with 16 units is still the second sweep's.
    expect(sql<number>('SELECT count(*) FROM model_specs')).toBe(1);
    expect(store.getRun(second.runIds[0]!)!.modelSpec).toMatchObject({ layers: [{ kernelSize: 3 }, {}, {}, { units: 16 }] });
    store.deleteRun(second.runIds[0]!);
    expect(sql<number>('SELECT count(*) FROM model_specs')).toBe(0);
  });
});
