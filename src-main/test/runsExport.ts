/**
 * Runs export files for the import tests and the import bench: one run record with every field
 * an export carries, the file's text, and a large file written to disk a run at a time (so a
 * 100,000-run file never sits in the writing process's memory).
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

export type ExportedRun = Record<string, unknown>;

/** A completed run as `runs export` writes it, with `extra` fields replacing the defaults. */
export function exportedRun(extra: ExportedRun = {}): ExportedRun {
  return {
    uuid: randomUUID(),
    name: 'imported',
    experimentUuid: null,
    sweepUuid: null,
    parentRunUuid: null,
    derivedFromRunUuid: null,
    derivedEpochs: null,
    status: 'completed',
    modelSpec: {},
    dataset: 'mnist',
    backend: 'wasm',
    device: '',
    seed: 1,
    hyperparameters: {},
    environment: {},
    priority: 0,
    error: null,
    createdAt: 1,
    startedAt: 2,
    endedAt: 3,
    tags: [],
    note: '',
    checkpoints: [],
    evaluations: [],
    metrics: {},
    ...extra,
  };
}

const head = (exportedAt: number) =>
  `{"format":"kernellab.runs","version":1,"exportedAt":${exportedAt},"experiments":[],"sweeps":[],"runs":[`;

/** The text of an export holding `runs`, with `extra` top-level fields replacing the defaults. */
export function runsExportText(runs: ExportedRun[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ format: 'kernellab.runs', version: 1, exportedAt: 1, experiments: [], sweeps: [], runs, ...extra });
}

/** Writes an export of `count` runs to `path`, run `i` being `runAt(i)`, one run at a time. */
export function writeRunsExport(path: string, count: number, runAt: (i: number) => ExportedRun, exportedAt = 1): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head(exportedAt));
    for (let i = 0; i < count; i++) writeSync(fd, (i ? ',' : '') + JSON.stringify(runAt(i)));
    writeSync(fd, ']}');
  } finally {
    closeSync(fd);
  }
}
