import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './hash.ts';
import { datasetDir, quickProblems, readManifest, removeManifest, type Manifest } from './manifest.ts';
import { z } from 'zod';
import { coreText, ProblemText, type CoreText } from '../contract/coreText.ts';
import { KernelLabError } from '../errors.ts';
import type { DatasetName } from './registry.ts';

const CORRUPT = 'corrupt.txt';
/**
 * The marker's lines coded (contract/coreText.ts), beside it: corrupt.txt stays the English lines
 * that older versions read, and this file is trusted only while its sentences are those lines.
 */
const CORRUPT_CODES = 'corrupt.codes.json';
const MarkerCodes = z.array(ProblemText).max(100);

/** Takes the ready marker away and records why: the dataset shows as corrupt until deleted or replaced. */
export function markCorrupt(datasetsDir: string, name: DatasetName, problems: ProblemText[]): void {
  const dir = datasetDir(datasetsDir, name);
  if (!existsSync(dir)) return;
  writeFileSync(join(dir, CORRUPT_CODES), JSON.stringify(problems.slice(0, 100)));
  writeFileSync(join(dir, CORRUPT), problems.map((p) => p.sentence).join('\n'));
  removeManifest(datasetsDir, name);
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
}

export function clearCorrupt(datasetsDir: string, name: DatasetName): void {
  rmSync(join(datasetDir(datasetsDir, name), CORRUPT), { force: true });
  rmSync(join(datasetDir(datasetsDir, name), CORRUPT_CODES), { force: true });
}

/**
 * A corrupt dataset's problems: `problem` their English joined with '; ', `problems` each with its
 * coded form, `problemCode` the one problem's code (null for several: the page says `problems`).
 */
export type DiskState =
  | { state: 'ready'; manifest: Manifest }
  | { state: 'corrupt'; problem: string; problemCode: CoreText | null; problems: ProblemText[] }
  | { state: 'absent' };

/** `problems` bounded as the contract takes them (a marker file may say anything): 100 lines of 4,000 characters. */
const corruptState = (problems: ProblemText[]): DiskState => ({
  state: 'corrupt',
  problem: problems.map((p) => p.sentence).join('; '),
  problemCode: problems.length === 1 ? problems[0]!.text : null,
  problems: problems.slice(0, 100).map((p) => ({ ...p, sentence: p.sentence.slice(0, 4000) })),
});

/** What is on disk for a dataset, cheaply (sizes only; `verifyDataset` re-hashes). */
export function diskState(datasetsDir: string, name: DatasetName): DiskState {
  const dir = datasetDir(datasetsDir, name);
  try {
    const read = readManifest(datasetsDir, name);
    if (read) {
      const problems = quickProblems(datasetsDir, read.manifest);
      if (problems.length === 0) return { state: 'ready', manifest: read.manifest };
      return corruptState(problems.map((p) => ({ sentence: p.sentence, path: '', text: p.text })));
    }
  } catch (error) {
    const text = (error instanceof KernelLabError && error.text) || null;
    return corruptState([{ sentence: (error as Error).message, path: '', text }]);
  }
  const marker = join(dir, CORRUPT);
  if (existsSync(marker)) return corruptState(markerProblems(dir, readFileSync(marker, 'utf8')));
  return { state: 'absent' };
}

/**
 * The marker's lines with their codes: from corrupt.codes.json while it says the same lines, else
 * (a marker an older version wrote, or rewrote) each line coded where it is one this core writes.
 */
function markerProblems(dir: string, text: string): ProblemText[] {
  try {
    const codes = MarkerCodes.safeParse(JSON.parse(readFileSync(join(dir, CORRUPT_CODES), 'utf8')));
    if (codes.success && codes.data.map((p) => p.sentence).join('\n') === text) return codes.data;
  } catch {
    // No codes beside the marker, or unreadable ones: the lines are read as they are.
  }
  return text.split('\n').map((sentence) => ({ sentence, path: '', text: markerLineText(sentence) }));
}

/** A line an older version wrote, coded when it is one of the sentences this core writes (the file's name passes as it is). */
function markerLineText(line: string): CoreText | null {
  const sha = /^(.+): SHA-256 is ([0-9a-f]{64}), the verified file had ([0-9a-f]{64})$/.exec(line);
  if (sha) return coreText('dataset_verify_sha_mismatch', { file: sha[1]!.slice(0, 1000), got: sha[2]!, expected: sha[3]! });
  const missing = /^(.+): missing$/.exec(line);
  if (missing) return coreText('dataset_file_missing', { file: missing[1]!.slice(0, 1000) });
  const size = /^(.+): (\d+) bytes, expected (\d+)$/.exec(line);
  if (size)
    return coreText('dataset_file_wrong_size', { file: size[1]!.slice(0, 1000), bytes: Number(size[2]), expected: Number(size[3]) });
  return null;
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

/** Re-hashes every file of a ready dataset; any mismatch marks it corrupt. Returns the problems, each with its coded form. */
export async function verifyDataset(datasetsDir: string, name: DatasetName): Promise<ProblemText[]> {
  const state = diskState(datasetsDir, name);
  if (state.state === 'absent')
    return [{ sentence: `${name} is not downloaded or imported`, path: '', text: coreText('dataset_verify_absent', { name }) }];
  if (state.state === 'corrupt') {
    markCorrupt(datasetsDir, name, state.problems);
    return state.problems;
  }
  const dir = datasetDir(datasetsDir, name);
  const problems: ProblemText[] = [];
  for (const f of state.manifest.files) {
    const sha = await sha256File(join(dir, f.stored));
    if (sha !== f.sha256)
      problems.push({
        sentence: `${f.stored}: SHA-256 is ${sha}, the verified file had ${f.sha256}`,
        path: '',
        text: coreText('dataset_verify_sha_mismatch', { file: f.stored, got: sha, expected: f.sha256 }),
      });
  }
  if (problems.length > 0) markCorrupt(datasetsDir, name, problems);
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
        : coreText('dataset_damaged_nothing_queued', { name, problem: state.problems });
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
