import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SweepImportance } from '../core/contract/sweeps.ts';
import { RunStore } from '../core/db/RunStore.ts';
import type { SweepRunInfo } from '../core/sweeps/folding.ts';
import { queueSweep } from '../core/sweeps/queueing.ts';
import { tinySweep } from '../core/sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../core/sweeps/sweepSpec.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-cli-importance-')));
afterEach(() => tmp.cleanup());

function kernellab(...args: string[]) {
  return kernellabIn('en', ...args);
}

function kernellabIn(lang: 'en' | 'ko', ...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', tmp.dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KERNELLAB_LANG: lang },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** A finished 4 × 3 sweep whose accuracy is decided by the learning rate, a little by the kernel size. */
async function recordedSweep(): Promise<number> {
  const store = RunStore.open(join(tmp.dir, 'kernellab.db'));
  try {
    const spec = parseSweepSpec(tinySweep({ axes: { learningRate: [0.001, 0.01, 0.1, 1], kernelSize: [3, 5, 7] } }));
    const started = await queueSweep(store, spec);
    for (const id of started.runIds) {
      const run = store.claimNextRunnable(store.owner, 60_000)!;
      const v = (run.environment.sweep as SweepRunInfo).values;
      const accuracy = 0.95 - 0.2 * Math.abs(Math.log10(v.learningRate as number) + 2) - 0.005 * (v.kernelSize as number);
      store.logBatch([{ runId: run.id, key: 'val_accuracy', step: 1, epoch: 1, value: accuracy }]);
      store.transition(id, 'completed');
    }
    return started.sweepId;
  } finally {
    store.close();
  }
}

describe('kernellab sweep importance', () => {
  it('ranks the axis that decided the metric first, with each axis’s marginal effect', async () => {
    const sweepId = await recordedSweep();
    const { code, out, err } = kernellab('sweep', 'importance', String(sweepId));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(`sweep ${sweepId}: which axis mattered for val_accuracy (maximize), from 12 completed runs`);
    const rows = out.split('\n');
    const header = rows.findIndex((l) => l.startsWith('axis'));
    expect(rows[header + 1]).toMatch(/^learningRate +\d+\.\d % +█/);
    expect(rows[header + 2]).toMatch(/^kernelSize /);
    // The marginal table of the learning rate: one row per value, mean of its three runs.
    const lr = rows.findIndex((l) => l.startsWith('learningRate: val_accuracy by value'));
    expect(rows[lr + 3]).toMatch(/^0\.01 +0\.9250 +0\.01000 +0\.9150 +0\.9350 +3$/);

    const json = JSON.parse(kernellab('sweep', 'importance', String(sweepId), '--json').out) as SweepImportance;
    expect(json.axes[0]!.name).toBe('learningRate');
    expect(json.axes[0]!.importance).toBeGreaterThan(0.8);
    expect(json.bestSoFar.at(-1)!.best).toBeCloseTo(0.935);
  });

  it('explains the ranking in Korean, the values under their Korean headers, axis and metric names as recorded', async () => {
    const sweepId = await recordedSweep();
    const { code, out, err } = kernellabIn('ko', 'sweep', 'importance', String(sweepId));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(`스윕 ${sweepId}: val_accuracy (maximize)에 중요했던 축, 완료된 실행 12개 기준`);
    const rows = out.split('\n');
    const header = rows.findIndex((l) => l.startsWith('축'));
    expect(rows[header]).toMatch(/^축 +중요도 +± \(트리\)$/);
    expect(rows[header + 1]).toMatch(/^learningRate +\d+\.\d % +█/);
    const lr = rows.findIndex((l) => l.startsWith('learningRate: 값별 val_accuracy'));
    expect(rows[lr + 1]).toMatch(/^값 +평균 +표준편차 +최소 +최대 +실행 수$/);
    expect(rows[lr + 3]).toMatch(/^0\.01 +0\.9250 +0\.01000 +0\.9150 +0\.9350 +3$/);
    // Each number starts in the terminal cell where its Korean header starts.
    const at = (line: string, text: string) => stringWidth(line.slice(0, line.indexOf(text)));
    expect(at(rows[lr + 3]!, '0.9250')).toBe(at(rows[lr + 1]!, '평균'));
    expect(at(rows[lr + 3]!, '0.01000')).toBe(at(rows[lr + 1]!, '표준편차'));
    expect(at(rows[lr + 3]!, '0.9150')).toBe(at(rows[lr + 1]!, '최소'));
    expect(out).toContain('지금까지 최고 val_accuracy: 0.9350 (실행 12개가 끝난 뒤)');
  });

  it('says so when a sweep does not exist', async () => {
    const { code, err } = kernellab('sweep', 'importance', '99');
    expect(code).not.toBe(0);
    expect(err).toContain('Sweep 99 does not exist');
  });
});
