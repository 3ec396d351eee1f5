/**
 * Builds the single-file `kernellab-agent` (npm run build:agent → dist/kernellab-agent): this
 * Node's executable with a Node SEA blob injected (postject) whose main is sea.cjs and whose one
 * asset is the agent's part of KernelLab (src-main/core, src-main/agent, package.json), the
 * compiled message catalogue with the language choice (i18n/paraglide's JavaScript, i18n/locale.ts,
 * i18n/coreText.ts, cli/errorText.ts, cli/commanderText.ts: about 0.3 MiB gzipped) and the packages it loads, gzipped. A node runs it with nothing installed: no Node, no npm, no project.
 * Built for this machine's platform and architecture, by this Node (22.18 or newer).
 *
 *   node src-main/agent/buildSea.ts [--out dist/kernellab-agent]   (npm run build:agent compiles the catalogue first)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The packages the agent and its workers load; their own dependencies are followed in package-lock.json. */
const entryPackages = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  'commander',
  // Help columns in terminal cells (cli/commanderText.ts).
  'string-width',
  'zod',
  // Loaded by modules the worker imports (datasets' archive reader, spec files).
  'tar',
  'yauzl',
  'yaml',
];

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
}

/** Folders (relative to the project) of the packages and everything they depend on, as npm installed them. */
export function packageClosure(lock: { packages: Record<string, LockPackage> }, names: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string) => {
    // Node's lookup: the nearest node_modules up from the requiring package.
    for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) {
        if (found.has(candidate)) return;
        found.add(candidate);
        const entry = lock.packages[candidate]!;
        for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) visit(dep, candidate);
        return;
      }
      if (!base) return; // an optional dependency not installed here
    }
  };
  for (const name of names) visit(name, '');
  return [...found].sort();
}

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...filesUnder(path, keep));
    } else if (entry.isFile() && keep(path)) out.push(path);
  }
  return out;
}

/** The packed files: the agent's sources (no tests) and the packages, without source maps and type declarations. */
export function agentFiles(): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  const sources = (dir: string) => filesUnder(join(root, dir), (p) => !/\.test\.ts$|__fixtures__|__golden__|\/testing\//.test(p));
  const packages = packageClosure(lock, entryPackages).flatMap((dir) =>
    filesUnder(join(root, dir), (p) => !/\.(map|d\.ts|d\.mts|d\.cts|md|markdown)$/i.test(p)),
  );
  const catalogue = join(root, 'i18n', 'paraglide');
  if (!existsSync(join(catalogue, 'messages.js')))
    throw new Error(`${relative(root, catalogue)} is not compiled: run node i18n/compile.ts (npm run build:agent does) first`);
  const i18n = [
    ...filesUnder(catalogue, (p) => p.endsWith('.js')),
    ...['locale.ts', 'coreText.ts'].map((f) => join(root, 'i18n', f)),
    join(root, 'src-main', 'cli', 'errorText.ts'),
    join(root, 'src-main', 'cli', 'commanderText.ts'),
  ];
  return [join(root, 'package.json'), ...sources('src-main/core'), ...sources('src-main/agent'), ...i18n, ...packages];
}

export function buildAgent(out: string): { bytes: number; files: number; packed: number } {
  const files = agentFiles();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const index = {
    version,
    files: files.map((f) => ({ path: relative(root, f), size: statSync(f).size, mode: statSync(f).mode & 0o777 })),
  };
  const header = Buffer.from(JSON.stringify(index));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const packed = gzipSync(Buffer.concat([length, header, ...files.map((f) => readFileSync(f))]), { level: 6 });
  const work = join(tmpdir(), `kernellab-sea-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(join(work, 'app.bin'), packed);
    const config = {
      main: join(root, 'src-main/agent/sea.cjs'),
      output: join(work, 'blob.bin'),
      disableExperimentalSEAWarning: true,
      useCodeCache: false,
      assets: { 'app.bin': join(work, 'app.bin') },
    };
    writeFileSync(join(work, 'sea.json'), JSON.stringify(config));
    const blob = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea.json')], { encoding: 'utf8' });
    if (blob.status !== 0) throw new Error(`node --experimental-sea-config failed: ${blob.stderr}`);
    mkdirSync(dirname(out), { recursive: true });
    rmSync(out, { force: true });
    copyFileSync(process.execPath, out);
    chmodSync(out, 0o755);
    const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    const inject = spawnSync(
      process.execPath,
      [postject, out, 'NODE_SEA_BLOB', join(work, 'blob.bin'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
      { encoding: 'utf8' },
    );
    if (inject.status !== 0) throw new Error(`postject failed: ${inject.stderr || inject.stdout}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { bytes: statSync(out).size, files: files.length, packed: packed.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? process.argv[at + 1]! : join(root, 'dist', 'kernellab-agent');
  const started = Date.now();
  const built = buildAgent(out);
  process.stdout.write(
    `${out}: ${(built.bytes / 2 ** 20).toFixed(0)} MiB (${built.files} files, ${(built.packed / 2 ** 20).toFixed(1)} MiB packed) in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
}
