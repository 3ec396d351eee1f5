/**
 * `kernellab runs ls|show|compare|export`: the runs in the data folder's database (the same one
 * the app uses), as tables or `--json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { RunDetail, RunRow, RunStatus } from '../core/contract/runs.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { print, printData, printError, printJson } from './format.ts';
import { positiveInt } from './runFlags.ts';

function fmt(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value);
}

/** A metric value as the tables show it: bytes as MiB, the wire's 'NaN' as NaN, none as empty. */
export function metricText(key: string, value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && /bytes$/i.test(key)) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return fmt(value);
}

/** A plain text table: one header row, columns padded to their widest cell. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(fmt))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatRunSummary(run: RunDetail): string {
  const test = run.evaluations.find((e) => e.split === 'test');
  const metric = (key: string) => run.summary.find((s) => s.key === key);
  const seconds = run.startedAt !== null && run.endedAt !== null ? (run.endedAt - run.startedAt) / 1000 : null;
  const lines = [
    `run ${run.id} ${run.name}: ${run.status}${run.error ? ` (${run.error})` : ''}`,
    `  backend ${run.backend}${run.device ? ` on ${run.device}` : ''}, seed ${run.seed}${seconds !== null ? `, ${seconds.toFixed(1)} s` : ''}`,
  ];
  if (run.derivedFromRunId !== null) lines.push(`  derived from run ${run.derivedFromRunId} (its first ${run.derivedEpochs} epochs)`);
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
    const s = metric(key);
    if (s) lines.push(`  ${key.padEnd(13)} last ${fmt(s.last)}  best ${fmt(s.best)} (epoch ${fmt(s.bestStep)})`);
  }
  if (test) lines.push(`  test          accuracy ${fmt(test.accuracy)}  loss ${fmt(test.loss)}`);
  return lines.join('\n');
}

const columns = ['kernelSize', 'epochs', 'learningRate', 'batchSize', 'optimizer', 'seed'];

function formatRows(rows: RunRow[]): string {
  const headers = ['id', 'status', 'name', 'test_acc', 'val_acc', 'sec'];
  return table(
    headers,
    rows.map((r) => [
      r.id,
      r.status,
      r.name.length > 48 ? `${r.name.slice(0, 47)}…` : r.name,
      r.metrics['test_accuracy.last'],
      r.metrics['val_accuracy.best'],
      r.startedAt !== null && r.endedAt !== null ? (r.endedAt - r.startedAt) / 1000 : null,
    ]),
  );
}

function ids(list: string[]): number[] {
  return list.map((text) => {
    const n = positiveInt('id', text);
    return n!;
  });
}

export function registerRuns(program: Command, open: () => Service): void {
  const runs = program.command('runs').description('list, show, compare and export recorded runs');

  runs
    .command('ls')
    .description('list runs (newest first)')
    .option('--sweep <id>', 'only the runs of this sweep')
    .option('--status <status>', 'only runs in this status (queued, running, completed, failed, canceled, interrupted, diverged)')
    .option('--limit <n>', 'at most n runs', '50')
    .option('--json', 'print JSON')
    .action(async (options: { sweep?: string; status?: string; limit: string; json?: boolean }) => {
      const result = await open().call('runs.list', {
        ...(options.sweep !== undefined && { sweepId: positiveInt('sweep', options.sweep) }),
        ...(options.status !== undefined && { status: [options.status as RunStatus] }),
        limit: positiveInt('limit', options.limit),
        paramColumns: columns,
        metricColumns: [
          { key: 'test_accuracy', field: 'last' },
          { key: 'val_accuracy', field: 'best' },
        ],
      });
      if (options.json) printJson(result);
      else print(`${formatRows(result.rows)}\n${result.rows.length} of ${result.total} runs`);
    });

  runs
    .command('show')
    .description('one run: status, metrics, test evaluation')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const run = await open().call('runs.get', { id: ids([id])[0]! });
      if (options.json) printJson(run);
      else print(formatRunSummary(run));
    });

  runs
    .command('compare')
    .description('runs side by side: params (--diff-only for the ones that differ) and summaries')
    .argument('<ids...>', 'run ids')
    .option('--diff-only', 'only params that differ')
    .option('--json', 'print JSON')
    .action(async (list: string[], options: { diffOnly?: boolean; json?: boolean }) => {
      const result = await open().call('runs.compare', { ids: ids(list), diffOnly: options.diffOnly ?? false });
      if (options.json) {
        printJson(result);
        return;
      }
      const headers = ['', ...result.runs.map((r) => `run ${r.id}`)];
      const rows = [
        ['status', ...result.runs.map((r) => r.status)],
        ...result.params.map((p) => [`${p.differs ? '* ' : '  '}${p.key}`, ...p.values]),
        ...result.summaries.map((s) => {
          // Ranked metrics by their best value, the leader starred (a tie stars nobody); the others by their last.
          const field = s.better === null ? 'last' : 'best';
          const note = s.better === null ? 'last, not ranked' : `best, ${s.better === 'max' ? 'higher' : 'lower'} is better`;
          return [`  ${s.key} (${note})`, ...s[field].map((v, i) => `${metricText(s.key, v)}${s.leader[field] === i ? ' ★' : ''}`)];
        }),
      ];
      print(table(headers, rows));
    });

  runs
    .command('export')
    .description('export runs (ids, or --sweep) as JSON or CSV')
    .argument('[ids...]', 'run ids')
    .option('--sweep <id>', 'every run of this sweep')
    .option('--format <format>', 'json | csv | metrics-csv', 'json')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (list: string[], options: { sweep?: string; format: string; out?: string }) => {
      if (list.length === 0 && options.sweep === undefined) throw new KernelLabError('invalid_input', 'give run ids or --sweep <id>');
      const selection = options.sweep !== undefined ? { sweepId: positiveInt('sweep', options.sweep)! } : { runIds: ids(list) };
      const result = await open().call('runs.export', { selection, format: options.format as never });
      if (options.out) {
        writeFileSync(options.out, result.content);
        printError(`wrote ${result.runCount} runs to ${options.out}`);
      } else printData(result.content);
    });

  runs
    .command('export-model')
    .description(
      "write a run's best or last checkpoint as a TF.js Layers model (model.json + weights.bin, for tfjs or tensorflowjs_converter → Keras) with its record (run.json)",
    )
    .argument('<id>', 'run id')
    .requiredOption('--out <dir>', 'folder to write the three files into (created if missing)')
    .option('--checkpoint <which>', 'best | last', 'best')
    .action(async (id: string, options: { out: string; checkpoint: string }) => {
      const result = await open().call('runs.exportModel', { id: positiveInt('id', id)!, checkpoint: options.checkpoint as never });
      mkdirSync(options.out, { recursive: true });
      for (const file of result.files) writeFileSync(join(options.out, file.name), Buffer.from(file.base64, 'base64'));
      printError(
        `wrote ${result.files.map((f) => f.name).join(', ')} of run ${result.runId} (epoch ${result.checkpoint.epoch}, ${result.checkpoint.kind}) to ${options.out}`,
      );
    });
}
