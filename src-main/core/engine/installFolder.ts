/**
 * The engines folder's bookkeeping around an install: the per-engine lock file (who is installing
 * now), staging folders left by a killed install, and the two-rename swap that puts a checked
 * staging in place of the installed engine.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { coded, KernelLabError } from '../errors.ts';
import type { EngineName } from '../contract/engines.ts';
import { LockInfo } from './layout.ts';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockPath = (enginesDir: string, name: EngineName) => join(enginesDir, `.${name}.lock`);

/** The pid installing this engine right now (this or another process), if any. */
export function installLockHolder(enginesDir: string, name: EngineName): number | undefined {
  try {
    const info = LockInfo.parse(JSON.parse(readFileSync(lockPath(enginesDir, name), 'utf8')));
    return pidAlive(info.pid) ? info.pid : undefined;
  } catch {
    return undefined;
  }
}

export function takeLock(enginesDir: string, name: EngineName): () => void {
  const path = lockPath(enginesDir, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = installLockHolder(enginesDir, name);
      if (holder !== undefined) throw installingElsewhere(name, holder);
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new KernelLabError('conflict', `could not take ${path}`);
}

/** Another process holds the install lock of this engine. */
export const installingElsewhere = (name: string, holder: number) =>
  coded(
    'conflict',
    `the ${name} engine is being installed by process ${holder}; wait for it or cancel it there`,
    'engine_installing_elsewhere',
    { name, processId: holder },
  );

/** Staging folders of installs whose process died (killed mid-install) are removed. */
export function sweepDeadStagings(enginesDir: string, name: EngineName): void {
  for (const entry of readdirSync(enginesDir)) {
    const match = new RegExp(`^\\.(?:staging|old)-${name}-(\\d+)-`).exec(entry);
    if (match && !pidAlive(Number(match[1]))) rmSync(join(enginesDir, entry), { recursive: true, force: true });
  }
}

export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

/**
 * Replaces the installed engine with the staged one: installed → .old-…, staged → installed, then
 * the old one is deleted. If the second rename fails the old one is put back.
 */
export function swapIn(staged: string, target: string): void {
  const old = join(dirname(target), `.old-${basename(target)}-${process.pid}-${Date.now()}`);
  const hadOld = existsSync(target);
  if (hadOld) renameSync(target, old);
  try {
    renameSync(staged, target);
  } catch (error) {
    if (hadOld) renameSync(old, target);
    throw error;
  }
  // A worker still training on the old engine keeps its mapped libraries; Windows may refuse to
  // delete a loaded DLL, and the next install sweeps what is left.
  if (hadOld) rmSync(old, { recursive: true, force: true, maxRetries: 2 });
}
