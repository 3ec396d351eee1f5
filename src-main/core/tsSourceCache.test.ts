import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { strippedSource } from './tsSourceCache.ts';

const temp = makeTempDir('kernellab-ts-cache-');
afterAll(() => temp.cleanup());
const hook = fileURLToPath(new URL('./tsSourceCacheHook.ts', import.meta.url));

describe('the stripped-source cache', () => {
  it('strips a source once, serves it from the cache after, and replaces the entry when the source changes', () => {
    const dir = join(temp.dir, 'unit');
    mkdirSync(dir);
    const source = 'export const size: number = 3;\n';
    expect(strippedSource('/a.ts', source, dir)).toMatch(/^export const size {9}= 3;\n/);
    const [entry] = readdirSync(dir);
    // The entry is what a second start gets: changed by hand, the change is what comes back.
    const cached = readFileSync(join(dir, entry!), 'utf8');
    writeFileSync(join(dir, entry!), cached.replace('= 3', '= 4'));
    expect(strippedSource('/a.ts', source, dir)).toContain('= 4');
    // An edited source is stripped again and takes the same entry's place.
    expect(strippedSource('/a.ts', 'export const size: number = 5;\n', dir)).toContain('= 5');
    expect(readdirSync(dir)).toEqual([entry]);
    expect(strippedSource('/b.ts', source, dir)).toContain('= 3');
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('strips without a cache, or with one it cannot write, as Node would', () => {
    const source = 'const n: number = 1;\nexport default n;\n';
    expect(strippedSource('/c.ts', source, null)).toBe('const n         = 1;\nexport default n;\n');
    const file = join(temp.dir, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(strippedSource('/c.ts', source, file)).toMatch(/^const n {9}= 1;\nexport default n;\n/);
  });

  it('runs the CLI from it with nothing on stderr, and a stack trace names the source line', () => {
    const cache = join(temp.dir, 'cli');
    const env = { ...process.env, KERNELLAB_TS_CACHE: cache };
    const first = spawnSync(process.execPath, [cliPath, '--help'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    const entries = readdirSync(cache).length;
    expect(entries).toBeGreaterThan(50);
    const second = spawnSync(process.execPath, [cliPath, '--help'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(second.stdout).toBe(first.stdout);
    expect(readdirSync(cache)).toHaveLength(entries);

    const thrower = join(temp.dir, 'thrower.ts');
    writeFileSync(thrower, 'interface A {\n  a: number;\n}\nconst a: A = { a: 1 };\nthrow new Error(`line 5 ${a.a}`);\n');
    for (const run of [1, 2]) {
      const failed = spawnSync(process.execPath, ['--import', hook, thrower], { encoding: 'utf8', env, timeout: 60_000 });
      expect(failed.status, `run ${run}`).toBe(1);
      expect(failed.stderr).toContain(`${thrower}:5`);
      expect(failed.stderr).not.toContain('ExperimentalWarning');
    }
  });
});
