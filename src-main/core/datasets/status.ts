import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './hash.ts';
import { datasetDir, quickProblems, readManifest, removeManifest, type Manifest } from './manifest.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { KernelLabError } from '../errors.ts';
import type { DatasetName } from './registry.ts';

const CORRUPT = 'corrupt.txt';

/** Takes the ready marker away and records why: the dataset shows as corrupt until deleted or replaced. */
export function markCorrupt(datasetsDir: string, name: DatasetName, problems: string[]): void {
  const dir = datasetDir(datasetsDir, name);
  if (!existsSync(dir)) return;
  writeFileSync(join(dir, CORRUPT), problems.join('\n'));
  removeManifest(datasetsDir, name);
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
}

export function clearCorrupt(datasetsDir: string, name: DatasetName): void {
  rmSync(join(datasetDir(datasetsDir, name), CORRUPT), { force: true });
}

/** A corrupt dataset's `problemCode` is its one problem's code; several problems (a list) stay English. */
export type DiskState =
  { state: 'ready'; manifest: Manifest } | { state: 'corrupt'; problem: string; problemCode: CoreText | null } | { state: 'absent' };

/** What is on disk for a dataset, cheaply (sizes only; `verifyDataset` re-hashes). */
export function diskState(datasetsDir: string, name: DatasetName): DiskState {
  const dir = datasetDir(datasetsDir, name);
  try {
    const read = readManifest(datasetsDir, name);
    if (read) {
      const problems = quickProblems(datasetsDir, read.manifest);
      if (problems.length === 0) return { state: 'ready', manifest: read.manifest };
      return {
        state: 'corrupt',
        problem: problems.map((p) => p.sentence).join('; '),
        problemCode: problems.length === 1 ? problems[0]!.text : null,
      };
    }
  } catch (error) {
    return { state: 'corrupt', problem: (error as Error).message, problemCode: (error instanceof KernelLabError && error.text) || null };
  }
  const marker = join(dir, CORRUPT);
  if (existsSync(marker)) return { state: 'corrupt', problem: readFileSync(marker, 'utf8').split('\n').join('; '), problemCode: null };
  return { state: 'absent' };
}

export function bytesOnDisk(datasetsDir: string, name: DatasetName): number {
  const walk = (dir: string): number =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
          const path = join(dir, e.name);
          return sum + (e.isDirectory() ? walk(path) : e.isFile() ? statSync(path).size : 0);
        }, 0)
      : 0;
  return walk(datasetDir(datasetsDir, name));
}

/** One problem `verifyDataset` found: its English, and its coded form (null: English only). */
export interface VerifyProblem {
  sentence: string;
  text: CoreText | null;
}

/** Re-hashes every file of a ready dataset; any mismatch marks it corrupt. Returns the problems. */
export async function verifyDataset(datasetsDir: string, name: DatasetName): Promise<VerifyProblem[]> {
  const state = diskState(datasetsDir, name);
  if (state.state === 'absent')
    return [{ sentence: `${name} is not downloaded or imported`, text: coreText('dataset_verify_absent', { name }) }];
  if (state.state === 'corrupt') {
    markCorrupt(datasetsDir, name, [state.problem]);
    return [{ sentence: state.problem, text: state.problemCode }];
  }
  const dir = datasetDir(datasetsDir, name);
  const problems: VerifyProblem[] = [];
  for (const f of state.manifest.files) {
    const sha = await sha256File(join(dir, f.stored));
    if (sha !== f.sha256)
      problems.push({
        sentence: `${f.stored}: SHA-256 is ${sha}, the verified file had ${f.sha256}`,
        text: coreText('dataset_verify_sha_mismatch', { file: f.stored, got: sha, expected: f.sha256 }),
      });
  }
  if (problems.length > 0)
    markCorrupt(
      datasetsDir,
      name,
      problems.map((p) => p.sentence),
    );
  return problems;
}

/**
 * The installed variant of each dataset a run or sweep needs, or a refusal naming the first that
 * is not ready and how to get it. Checked before anything is queued: a run that could only fail
 * for want of its data is never created.
 */
export function requireReady(datasetsDir: string, names: readonly DatasetName[]): Partial<Record<DatasetName, string>> {
  const variants: Partial<Record<DatasetName, string>> = {};
  for (const name of new Set(names)) {
    const state = diskState(datasetsDir, name);
    if (state.state === 'ready') {
      variants[name] = state.manifest.variant;
      continue;
    }
    const text =
      state.state === 'absent'
        ? coreText('dataset_not_ready_nothing_queued', { name })
        : coreText('dataset_damaged_nothing_queued', { name, problem: state.problem });
    throw new KernelLabError(
      'unavailable',
      state.state === 'absent'
        ? `${name} is not on this machine yet, so nothing was queued: download it (kernellab datasets download ${name}, or Datasets in the app) or import its files (kernellab datasets import <dir>)`
        : `${name} is damaged (${state.problem}), so nothing was queued: delete it and download or import it again (kernellab datasets rm ${name}, or Datasets in the app)`,
      undefined,
      { text },
    );
  }
  return variants;
}
