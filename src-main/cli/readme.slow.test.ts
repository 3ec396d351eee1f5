/**
 * README.md's commands are true (issue 11: `runs export --format csv` as the README showed it
 * failed). Every line of every ```sh block is either run here, in order, in a temp folder with its
 * own data folder, or named below with the reason it is not — a new README command that is
 * neither fails this test. `npx kernellab` is this checkout's CLI.
 *
 * Run as written, except where a line would hold a shared machine: training lines also get
 * `--subset 200 --test-subset 100` (later flags win), so they train on 300 images instead of
 * 60,000; `serve` gets `--port 0` and is stopped once it prints its URL; a search sweep gets
 * `--dry-run`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnistDataFiles } from '../core/datasets/index.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { cliPath } from '../test/servedKernellab.ts';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The commands of README's ```sh blocks: comments and blank lines dropped, `\` continuations joined. */
function readmeCommands(text: string): string[] {
  const commands: string[] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line.replace(/(^|\s)#.*$/, '').trim();
      if (command) commands.push(command);
    }
  }
  return commands;
}

type Plan = { run: 'as written' | 'bounded training' | 'dry run' | 'serve' } | { skip: string };

/** What this test does with each README command; the first match decides. */
const plans: [RegExp, Plan][] = [
  [/^npm install$/, { skip: 'the install this test runs in (CI runs npm ci)' }],
  [/^npm start$/, { skip: 'opens a window; the Electron download it starts is tested in electron/start.test.ts' }],
  [/^npm test$/, { skip: 'the suite this test is part of' }],
  [/^npm run build$/, { skip: 'the e2e tests build the renderer before they run; serve says when it is not built' }],
  [/^npx kernellab serve$/, { run: 'serve' }],
  [/^npx kernellab serve --host 0\.0\.0\.0 --tls-cert/, { skip: 'needs a certificate; serverEdges.test.ts serves 0.0.0.0 over TLS' }],
  [
    /^npx kernellab (info|--help|runs ls|runs compare|runs export|runs import|summary|call app\.health|engine ls|engine rm tensorflow)\b/,
    { run: 'as written' },
  ],
  [/^npx kernellab datasets import \.\/mnist-files$/, { run: 'as written' }],
  [/^npx kernellab (train|sweep) --preset [\w-]+ --dataset mnist .*--epochs [\d,]+$/, { run: 'bounded training' }],
  [/^npx kernellab sweep .*--method tpe/, { run: 'dry run' }],
  [/^npx kernellab (export|import) keras\b/, { run: 'as written' }],
  [/^npx kernellab train --spec \S+ --epochs \d+$/, { run: 'bounded training' }],
  [/^npx kernellab engine install tensorflow$/, { skip: 'downloads tensorflow-cpu with pip; CI runs it (.ci/run)' }],
  [/^npx kernellab engine install tensorflow --gpu$/, { skip: 'needs an NVIDIA GPU' }],
  [
    /^npx kernellab sweep (importance|jobs|cancel) 12$/,
    { skip: 'sweep 12 of the reader’s database (a cluster sweep for jobs); this walk-through makes one sweep' },
  ],
  [/^npx kernellab sweep submit /, { skip: 'needs a Slurm or Kubernetes cluster; clusters/*.test.ts drive real Slurm in CI' }],
  [/^ssh /, { skip: 'a tunnel to another machine' }],
];

function planOf(command: string): Plan | undefined {
  return plans.find(([pattern]) => pattern.test(command))?.[1];
}

let temp: { dir: string; cleanup: () => void };
let env: NodeJS.ProcessEnv;
const kernellab = `${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)}`;

beforeAll(() => {
  temp = makeTempDir('kernellab-readme-');
  // `./mnist-files`, the folder the README imports: the original MNIST files.
  mkdirSync(join(temp.dir, 'mnist-files'));
  for (const file of mnistDataFiles()) symlinkSync(file, join(temp.dir, 'mnist-files', basename(file)));
  env = { ...process.env, KERNELLAB_HOME: join(temp.dir, 'home'), KERNELLAB_DATASET_MIRROR: '', NO_COLOR: '1' };
  // Engines live in the temp data folder, so `engine rm tensorflow` cannot touch a shared one.
  delete env.KERNELLAB_ENGINES_DIR;
});
afterAll(() => temp.cleanup());

/** The command as bash runs it here: `npx kernellab` is this checkout's CLI. */
function shellLine(command: string, extra = ''): string {
  return command.replace(/^npx kernellab\b/, kernellab) + extra;
}

function runServe(command: string): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', ['-c', `exec ${shellLine(command, ' --port 0')}`], { cwd: temp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
    if (/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.test(out)) child.kill('SIGTERM');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe('npm install, as the README says', () => {
  it('runs no install script nobody reviewed (better-sqlite3 loads its prebuilt binary; nothing compiles)', (ctx) => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const npm = spawnSync('npm', ['install-scripts', 'ls'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    if (npm.status !== 0 && /Unknown command/i.test(npm.stderr + npm.stdout)) {
      ctx.skip(`this npm (${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()}) has no install-scripts review`);
    }
    expect(npm.stdout + npm.stderr).toContain('No packages with unreviewed install scripts');
  });
});

describe('README.md', () => {
  const commands = readmeCommands(readme);

  it('has commands, and each one is run here or says why not', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((c) => planOf(c) === undefined)).toEqual([]);
  });

  it('runs each command as the README shows it, in order, in a fresh data folder', async () => {
    const ran: string[] = [];
    for (const command of commands) {
      const plan = planOf(command);
      if (!plan || 'skip' in plan) continue;
      if (plan.run === 'serve') {
        const served = await runServe(command);
        expect(served.out, command).toMatch(/http:\/\/127\.0\.0\.1:\d+\/\?token=/);
        ran.push(command);
        continue;
      }
      const extra = { 'as written': '', 'bounded training': ' --subset 200 --test-subset 100', 'dry run': ' --dry-run' }[plan.run];
      const result = spawnSync('bash', ['-c', shellLine(command, extra)], { cwd: temp.dir, env, encoding: 'utf8', timeout: 300_000 });
      expect({ command, code: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ command, code: 0, stderr: '' });
      ran.push(command);
    }
    // The walk-through trained, swept, listed, compared and exported what it made.
    expect(ran.some((c) => c.includes('runs export'))).toBe(true);
    const csv = readFileSync(join(temp.dir, 'sweep-1.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toContain('param.kernelSize');
    expect(csv.length).toBeGreaterThan(3);
    const runs = JSON.parse(spawnSync('bash', ['-c', `${kernellab} runs ls --json`], { env, encoding: 'utf8' }).stdout) as {
      total: number;
    };
    expect(runs.total).toBeGreaterThan(1);
  }, 900_000);
});
