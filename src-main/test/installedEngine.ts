/**
 * Tests that need the tensorflow engine find the one installed the way a user installs it
 * (`kernellab engine install tensorflow`, which .ci/run does): in $KERNELLAB_ENGINES_DIR, else in
 * the default data folder's engines/. Where none is installed they skip and say why — except in
 * CI, where the engine is installed first and a missing one is a failure, not a skip.
 */
import { join } from 'node:path';
import { readManifest, engineDir } from '../core/engine/layout.ts';
import type { EngineManifest } from '../core/contract/engines.ts';
import { resolveDataDir } from '../core/home.ts';

export interface InstalledEngine {
  enginesDir: string;
  dir: string;
  manifest: EngineManifest;
}

export function findInstalledEngine(env: NodeJS.ProcessEnv = process.env): InstalledEngine | string {
  const candidates = [env.KERNELLAB_ENGINES_DIR?.trim(), join(resolveDataDir({ env: { ...env, KERNELLAB_HOME: '' } }), 'engines')].filter(
    (d): d is string => Boolean(d),
  );
  const problems: string[] = [];
  for (const enginesDir of candidates) {
    const dir = engineDir(enginesDir, 'tensorflow');
    const disk = readManifest(dir);
    if (disk.state === 'ready') return { enginesDir, dir, manifest: disk.manifest };
    problems.push(disk.state === 'absent' ? `none in ${enginesDir}` : disk.problem);
  }
  return `the tensorflow engine is not installed (${problems.join('; ')}); run 'kernellab engine install tensorflow'`;
}

/** The engine, or undefined after printing why the caller skips; throws in CI, which installs it. */
export function engineForTests(suite: string): InstalledEngine | undefined {
  const found = findInstalledEngine();
  if (typeof found !== 'string') return found;
  if (process.env.CI) throw new Error(`${suite}: ${found}. CI installs it in .ci/run, so this is a failure there.`);
  console.log(`SKIPPED ${suite}: ${found}`);
  return undefined;
}
