import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '../core/db/RunStore.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { cliPath } from '../test/servedKernellab.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-cli-runs-')));
afterEach(() => tmp.cleanup());

function kernellab(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', tmp.dir, ...args], { encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** Two recorded runs: the slower one on 3,000 images, the faster on all 60,000, equal accuracy. */
function twoRuns(): [number, number] {
  const store = RunStore.open(join(tmp.dir, 'kernellab.db'));
  try {
    const run = (subset: object) =>
      store.createRun({
        name: 'lenet',
        status: 'completed',
        modelSpec: { name: 'lenet', layers: [{ type: 'conv2d', filters: 6, kernelSize: 5 }] },
        dataset: 'mnist',
        backend: 'wasm',
        seed: 1,
        hyperparameters: { epochs: 1 },
        environment: { subset },
      }).id;
    const ids: [number, number] = [run({ trainPerClass: 300 }), run({})];
    const log = (id: number, values: Record<string, number>) =>
      store.logBatch(Object.entries(values).map(([key, value]) => ({ runId: id, key, step: 1, epoch: 1, value })));
    log(ids[0], { val_accuracy: 0.95, loss: 0.3, samples_per_sec: 1000, rss_bytes: 200 * 1048576 });
    log(ids[1], { val_accuracy: 0.95, loss: 0.2, samples_per_sec: 3000, rss_bytes: 700 * 1048576 });
    return ids;
  } finally {
    store.close();
  }
}

describe('kernellab runs compare', () => {
  it('shows the subset that differs, stars the faster run and the lower loss, no star on a tie, none on memory', () => {
    const [small, full] = twoRuns();
    const { code, out } = kernellab('runs', 'compare', String(small), String(full), '--diff-only');
    expect(code).toBe(0);
    const line = (start: string) => out.split('\n').find((l) => l.trimStart().startsWith(start))!;
    expect(line('* trainImages')).toMatch(/3000 +60000/);
    expect(line('samples_per_sec (best, higher is better)')).toMatch(/1000 +3000 ★$/);
    expect(line('loss (best, lower is better)')).toMatch(/0\.3000 +0\.2000 ★$/);
    expect(line('val_accuracy (best, higher is better)')).not.toContain('★');
    expect(line('rss_bytes (last, not ranked)')).toMatch(/200\.0 MiB +700\.0 MiB$/);
  });
});

describe('kernellab runs export / import', () => {
  it('imports an export written by --out into another data folder, a second time skipping every run; a missing file is named', () => {
    const [small, full] = twoRuns();
    const file = join(tmp.dir, 'runs.json');
    expect(kernellab('runs', 'export', String(small), String(full), '--out', file).code).toBe(0);
    const other = join(tmp.dir, 'other');
    const into = (...args: string[]) => {
      const result = spawnSync(process.execPath, [cliPath, '--home', other, 'runs', 'import', ...args], { encoding: 'utf8' });
      return { code: result.status, out: result.stdout, err: result.stderr };
    };
    const first = into(file);
    expect(first).toMatchObject({ code: 0, out: `imported 2 runs from ${file} (0 were already here)\n` });
    expect(JSON.parse(into(file, '--json').out)).toEqual({ imported: 0, skipped: 2 });
    const store = RunStore.open(join(other, 'kernellab.db'));
    try {
      expect(store.listRuns().rows.map((r) => r.name)).toEqual(['lenet', 'lenet']);
    } finally {
      store.close();
    }
    // Written a part at a time: the file, stdout and runs.export's answer are the same bytes (less the time of export).
    const answer = (() => {
      const source = RunStore.open(join(tmp.dir, 'kernellab.db'));
      try {
        return source.exportRuns({ runIds: [small, full] }, 'json').content;
      } finally {
        source.close();
      }
    })();
    const withoutTime = (text: string) => text.replace(/"exportedAt":\d+/, '');
    expect(withoutTime(readFileSync(file, 'utf8'))).toBe(withoutTime(answer));
    const printed = kernellab('runs', 'export', String(small), String(full));
    expect(printed.code).toBe(0);
    expect(withoutTime(printed.out)).toBe(`${withoutTime(answer)}\n`);
    expect(kernellab('runs', 'export', String(full), '--format', 'csv').out).toMatch(
      /^uuid,name,status,.*\n[0-9a-f-]{36},lenet,completed,/,
    );
    const badFormat = kernellab('runs', 'export', String(full), '--format', 'xml');
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.err).toMatch(/Invalid input for runs\.export: format: /);
    const missing = into(join(tmp.dir, 'nothing.json'));
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/Cannot read the runs export .*nothing\.json: there is no such file/);
  });
});
