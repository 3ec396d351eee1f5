import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '../core/db/RunStore.ts';
import { storeRefusedResume } from '../test/refusedResume.ts';
import { exportedRun, runsExportText } from '../test/runsExport.ts';
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

describe('kernellab runs in Korean', () => {
  it("ls, show and compare say a run's status in Korean; --json keeps it as it is", () => {
    const [small, full] = twoRuns();
    const ls = kernellab('--lang', 'ko', 'runs', 'ls');
    expect(ls.code).toBe(0);
    const rows = ls.out.split('\n').filter((l) => /^\d+ /.test(l));
    expect(rows.map((l) => l.split(/ +/).slice(0, 3))).toEqual([
      [String(full), '완료', 'lenet'],
      [String(small), '완료', 'lenet'],
    ]);
    expect(ls.out).not.toContain('completed');
    expect(kernellab('--lang', 'ko', 'runs', 'show', String(small)).out.split('\n')[0]).toBe(`실행 ${small} lenet: 완료`);
    const compare = kernellab('--lang', 'ko', 'runs', 'compare', String(small), String(full)).out;
    expect(compare.split('\n').find((l) => l.startsWith('상태'))).toMatch(/^상태 +완료 +완료$/);
    const json = JSON.parse(kernellab('--lang', 'ko', 'runs', 'ls', '--json').out) as { rows: { status: string }[] };
    expect(json.rows.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(JSON.parse(kernellab('--lang', 'ko', 'runs', 'show', String(small), '--json').out)).toMatchObject({ status: 'completed' });
    expect(kernellab('runs', 'show', String(small)).out.split('\n')[0]).toBe(`run ${small} lenet: completed`);
  });
});

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

describe('kernellab runs show', () => {
  it("says a failed resume's problems after its heading in Korean, and in English exactly as stored", () => {
    const { id, state } = storeRefusedResume(join(tmp.dir, 'kernellab.db'), join(tmp.dir, 'run', 'checkpoints', 'last'));
    expect(kernellab('--lang', 'ko', 'runs', 'show', String(id)).out.split('\n')[0]).toBe(
      `실행 ${id} lenet: 실패 (체크포인트 파일 ${state}은(는) KernelLab 체크포인트 상태가 아닙니다: globalStep: 0 이상이어야 합니다)`,
    );
    expect(kernellab('runs', 'show', String(id)).out.split('\n')[0]).toBe(
      `run ${id} lenet: failed (checkpoint file ${state} is not a KernelLab checkpoint state: globalStep: Too small: expected number to be >=0)`,
    );
  });
});

describe('kernellab runs export / import', () => {
  it(
    'imports an export written by --out into another data folder, a second time skipping every run; a missing file is named',
    { timeout: 180_000 },
    () => {
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
    },
  );
});

describe('kernellab runs import of a damaged or foreign file', () => {
  it('says what is wrong and where in Korean, in English exactly as before, and imports nothing', { timeout: 180_000 }, () => {
    const run = exportedRun({ uuid: '6f1c1f0e-7d7e-4a43-9c39-0a4a4b1c2d3e' });
    const exported = runsExportText;
    const bad: [string, string, string][] = [
      [
        exported([run], { version: 2 }),
        'Invalid runs export: version: expected 1',
        '실행 내보내기 파일이 올바르지 않습니다: version: 1이어야 합니다',
      ],
      ['{"hello": 1}', 'Invalid runs export: format: missing', '실행 내보내기 파일이 올바르지 않습니다: format: 없습니다'],
      [
        exported([{ ...run, status: 'flying' }]),
        'Invalid runs export: runs.0.status: ',
        '실행 내보내기 파일이 올바르지 않습니다: runs.0.status: 다음 중 하나여야 합니다: queued, ',
      ],
      [
        exported([{ ...run, metrics: [] }]),
        'Invalid runs export: runs.0.metrics: expected an object',
        '실행 내보내기 파일이 올바르지 않습니다: runs.0.metrics: 객체여야 합니다',
      ],
      [
        exported([{ ...run, metrics: { 'a b': [] } }]),
        'Invalid runs export: runs.0.metrics.a b: ',
        '실행 내보내기 파일이 올바르지 않습니다: runs.0.metrics.a b: ',
      ],
      [
        exported([run]).replace('"note":""', '"__proto__":{}'),
        'Invalid runs export: runs.0: an object key named __proto__ is not allowed',
        '실행 내보내기 파일이 올바르지 않습니다: runs.0: __proto__라는 이름의 객체 키는 허용되지 않습니다',
      ],
      [
        '{"format": "kernellab.runs", "version": 1,',
        'Invalid runs export: (root): not JSON KernelLab reads (the text ends early at byte 42)',
        '실행 내보내기 파일이 올바르지 않습니다: (root): KernelLab이 읽을 수 있는 JSON이 아닙니다 (바이트 42: 텍스트가 일찍 끝납니다)',
      ],
      [
        // The scanner passes a run's inside; JSON.parse stops at the stray comma, 435 characters into the run.
        exported([run]).replace('"metrics":{}}', '"metrics":{},}'),
        'Invalid runs export: runs.0: Expected double-quoted property name in JSON at position 435',
        '실행 내보내기 파일이 올바르지 않습니다: runs.0: JSON이 아닙니다 (문자 435)',
      ],
      [
        exported([{ ...run, note: JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`) as unknown }]),
        'Invalid runs export: runs.0: not JSON KernelLab reads (nested deeper than ',
        '실행 내보내기 파일이 올바르지 않습니다: runs.0: KernelLab이 읽을 수 있는 JSON이 아닙니다 (바이트 ',
      ],
    ];
    const file = join(tmp.dir, 'bad.json');
    const importAs = (lang: string) => {
      const result = spawnSync(process.execPath, [cliPath, '--home', tmp.dir, '--lang', lang, 'runs', 'import', file], {
        encoding: 'utf8',
      });
      return { code: result.status, err: result.stderr };
    };
    for (const [text, english, korean] of bad) {
      writeFileSync(file, text);
      const ko = importAs('ko');
      expect(ko.code, text.slice(0, 80)).toBe(2);
      expect(ko.err, text.slice(0, 80)).toContain(korean);
      expect(ko.err).not.toContain('Invalid runs export');
      expect(ko.err).not.toMatch(/expected|missing|not JSON|nested deeper|ends early|position/i);
      // The English sentences are unchanged; three of them are checked, to keep the test short.
      if (!english.includes('version') && !english.includes('__proto__') && !english.includes('(root)') && !english.includes('position'))
        continue;
      const en = importAs('en');
      expect(en.code).toBe(2);
      expect(en.err).toContain(english);
    }
    const store = RunStore.open(join(tmp.dir, 'kernellab.db'));
    try {
      expect(store.listRuns().rows).toEqual([]);
    } finally {
      store.close();
    }
  });
});
