import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirWithMnist, tinyModel } from '../core/sweeps/sweepFixture.ts';

const cli = fileURLToPath(new URL('../../bin/kernellab.js', import.meta.url));
let home: { dir: string; cleanup: () => void };
let modelFile: string;

beforeAll(async () => {
  home = await dataDirWithMnist('kernellab-cli-sweeps-');
  modelFile = join(home.dir, 'tiny.json');
  writeFileSync(modelFile, JSON.stringify(tinyModel));
});
afterAll(() => home?.cleanup());

function kernellab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, '--home', home.dir, ...args], { timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const quick = ['--dataset', 'mnist', '--subset', '300', '--test-subset', '100', '--learning-rate', '0.01', '--backend', 'wasm'];

async function runCount(): Promise<number> {
  const ls = await kernellab('runs', 'ls', '--json');
  expect(ls.code).toBe(0);
  return (JSON.parse(ls.stdout) as { total: number }).total;
}

describe('kernellab train, sweep and runs', () => {
  it('train: one run, its final metrics, exit 0; a bad flag exits 2; a failed run exits 1', async () => {
    const ok = await kernellab('train', '--model', modelFile, ...quick, '--kernel-size', '5', '--epochs', '2', '--json');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const run = JSON.parse(ok.stdout) as {
      id: number;
      status: string;
      evaluations: { split: string; accuracy: number }[];
      hyperparameters: { epochs: number };
    };
    expect(run.status).toBe('completed');
    expect(run.hyperparameters.epochs).toBe(2);
    expect(run.evaluations.find((e) => e.split === 'test')!.accuracy).toBeGreaterThan(0.1);

    const bad = await kernellab('train', '--model', modelFile, ...quick, '--kernel-size', 'five');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/kernelSize\[0\]: "five" is not an integer/);
    const impossible = await kernellab('train', '--model', modelFile, ...quick, '--kernel-size', '40');
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toMatch(/layers\[0\] \(conv2d\).*40/);

    // Fashion-MNIST is not installed in this data folder: refused before any run exists.
    const runs = await runCount();
    const failed = await kernellab('train', '--model', modelFile, ...quick, '--epochs', '1', '--dataset', 'fashion-mnist');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/fashion-mnist is not on this machine yet, so nothing was queued/);
    expect(await runCount()).toBe(runs);
  }, 240_000);

  it('sweep from flags and from a YAML file; runs ls, show, compare and export see the same runs', async () => {
    const before = await runCount();
    const flags = await kernellab(
      'sweep',
      '--model',
      modelFile,
      ...quick,
      '--kernel-size',
      '3,5',
      '--epochs',
      '1,2',
      '--workers',
      '2',
      '--json',
    );
    expect(flags.code).toBe(0);
    const result = JSON.parse(flags.stdout) as {
      progress: { sweepId: number; completed: number; planned: number; derived: number };
      runs: { id: number }[];
    };
    expect(result.progress).toMatchObject({ completed: 4, planned: 4, derived: 2 });

    const specFile = join(home.dir, 'sweep.yaml');
    writeFileSync(
      specFile,
      [
        'name: yaml sweep',
        'base:',
        '  model: ' + JSON.stringify(tinyModel),
        '  dataset: mnist',
        '  subset: { train: 300, test: 100 }',
        '  hyperparameters: { epochs: 1, learningRate: 0.01, backend: wasm }',
        'axes:',
        '  learningRate: [0.01, 0.02]',
        'repeats: 2',
      ].join('\n'),
    );
    const yaml = await kernellab('sweep', specFile, '--workers', '2');
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/sweep \d+: completed, 4 of 4 completed/);
    // The final table: one column per swept axis, sorted by the main metric, best first.
    const lines = yaml.stdout.split('\n');
    const header = lines.findIndex((l) => /^id +learningRate +val_accuracy \(best\) +test_accuracy \(last\) +time +status$/.test(l));
    expect(header).toBeGreaterThan(-1);
    const accuracies = lines.slice(header + 1, header + 5).map((l) => Number(l.trim().split(/ +/)[2]));
    expect(accuracies).toEqual([...accuracies].sort((a, b) => b - a));
    expect(yaml.stdout).toContain('sorted by val_accuracy (best first)');
    expect(await runCount()).toBe(before + 8);

    // The runs come sorted by the metric, as the table shows them; here in the order they were queued.
    const ids = result.runs
      .map((r) => r.id)
      .sort((a, b) => a - b)
      .map(String);
    const show = await kernellab('runs', 'show', ids[0]!, '--json');
    expect(show.code).toBe(0);
    expect((JSON.parse(show.stdout) as { sweepId: number }).sweepId).toBe(result.progress.sweepId);
    const compare = await kernellab('runs', 'compare', ids[0]!, ids[1]!, '--diff-only', '--json');
    expect(compare.code).toBe(0);
    // Two trained runs (epochs 2) that differ in kernel size only: one row, named as the axis was
    // (layers.0.kernelSize says the same and is left out).
    expect((JSON.parse(compare.stdout) as { params: { key: string; values: unknown[] }[] }).params).toEqual([
      { key: 'kernelSize', values: [3, 5], differs: true },
    ]);
    const csv = await kernellab('runs', 'export', '--sweep', String(result.progress.sweepId), '--format', 'csv');
    expect(csv.code).toBe(0);
    expect(csv.stdout.trim().split('\n')).toHaveLength(5);
    const text = await kernellab('runs', 'ls', '--sweep', String(result.progress.sweepId));
    expect(text.stdout).toMatch(/4 of 4 runs/);
    expect((await kernellab('runs', 'show', '999999')).code).toBe(1);

    const resume = await kernellab('sweep', 'resume');
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/nothing to resume/);
  }, 240_000);

  it("says a sweep's and a run's status, and how far the sweep is, in Korean; --json keeps the status as it is", async () => {
    const swept = await kernellab('--lang', 'ko', 'sweep', '--model', modelFile, ...quick, '--kernel-size', '3,5', '--epochs', '1');
    expect(swept.code).toBe(0);
    const sweepId = /^스윕 (\d+): 완료, 2개 중 2개 완료, 0개 실패, 0개 취소$/m.exec(swept.stdout)?.[1];
    expect(sweepId, swept.stdout).toBeDefined();
    const rows = swept.stdout.split('\n').filter((l) => /^\d+ +[35] /.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/ 완료$/);
    // Not a terminal: one line per change of the sweep's progress, from its code.
    expect(swept.stderr).toMatch(new RegExp(`^스윕 ${sweepId}: 실행 2개 중 [12]번째`, 'm'));
    const sweepLines = (swept.stderr + swept.stdout).split('\n').filter((l) => l.startsWith(`스윕 ${sweepId}: `));
    expect(sweepLines.length).toBeGreaterThanOrEqual(3);
    for (const line of sweepLines) expect(line).not.toMatch(/[a-z]/i);
    const ls = await kernellab('--lang', 'ko', 'runs', 'ls', '--sweep', sweepId!, '--json');
    expect((JSON.parse(ls.stdout) as { rows: { status: string }[] }).rows.map((r) => r.status)).toEqual(['completed', 'completed']);

    // A run whose loss stops being finite: its end said in Korean, with its coded reason.
    const diverged = await kernellab(
      '--lang',
      'ko',
      'train',
      '--model',
      modelFile,
      ...quick,
      '--epochs',
      '1',
      '--optimizer',
      'sgd',
      '--learning-rate',
      '1e30',
    );
    expect(diverged.code).toBe(1);
    expect(diverged.stdout).toMatch(/^실행 \d+ tiny on mnist .*: 발산 \(에폭 1, 배치 \d+에서 /m);
    expect(diverged.stderr).toMatch(/실행 \d+이\(가\) 발산 상태로 끝났습니다: 에폭 1, 배치 \d+에서 /);
    expect(diverged.stderr).not.toMatch(/diverged|non-finite/);
  }, 240_000);

  it('bad sweep input exits 2 naming the field, and queues nothing', async () => {
    const before = await runCount();
    const notYaml = join(home.dir, 'bad.yaml');
    writeFileSync(notYaml, 'base: [unclosed\n');
    const cases: [string[], RegExp][] = [
      [['sweep', notYaml], /bad\.yaml is not valid YAML or JSON/],
      [['sweep', join(home.dir, 'missing.yaml')], /cannot read the sweep spec .*missing\.yaml: ENOENT/],
      [['sweep', '--model', modelFile, ...quick, '--kernel-size', '3,,5'], /--kernel-size: '3,,5' has an empty value/],
      [['sweep', '--model', modelFile, ...quick, '--epochs', '1,x'], /axes\.epochs\[1\]: "x" is not an integer/],
      [['sweep', '--model', modelFile, '--kernel-size', '3'], /--dataset is required/],
      [
        [
          'sweep',
          '--model',
          modelFile,
          ...quick,
          '--kernel-size',
          '3,5',
          '--batch-size',
          Array.from({ length: 100 }, (_, i) => i + 1).join(','),
          '--epochs',
          Array.from({ length: 60 }, (_, i) => i + 1).join(','),
        ],
        /12,000 runs .*--yes/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await kernellab(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await runCount()).toBe(before);
  }, 120_000);
});
