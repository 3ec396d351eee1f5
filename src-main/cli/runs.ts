/**
 * `kernellab runs ls|show|compare|export`: the runs in the data folder's database (the same one
 * the app uses), as tables or `--json`.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { RunDetail, RunRow, RunStatus } from '../core/contract/runs.ts';
import { coreText } from '../core/contract/coreText.ts';
import { methods } from '../core/contract/index.ts';
import { invalidInput, KernelLabError } from '../core/errors.ts';
import { writeExport, type Service } from '../core/service.ts';
import { padEndDisplay, print, printDataParts, printError, printJson, textTable } from './format.ts';
import { runStatusWord, storedError, storedSentence } from './errorText.ts';
import { positiveInt } from './runFlags.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { tenthsOfSecondText } from '../../i18n/coreText.ts';

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

/** A plain text table: one header row, columns padded to their widest cell (in terminal cells). */
export function table(headers: string[], rows: unknown[][]): string {
  return textTable(
    headers,
    rows.map((r) => r.map(fmt)),
  );
}

export function formatRunSummary(run: RunDetail): string {
  const test = run.evaluations.find((e) => e.split === 'test');
  const metric = (key: string) => run.summary.find((s) => s.key === key);
  const seconds = run.startedAt !== null && run.endedAt !== null ? (run.endedAt - run.startedAt) / 1000 : null;
  const lines: string[] = [
    m.cli_runs_summary_head({
      id: run.id,
      name: run.name,
      status: runStatusWord(run.status),
      error: run.error ? ` (${storedError({ ...run, error: run.error })})` : '',
    }),
    m.cli_runs_summary_backend({
      backend: run.backend,
      device: run.device ? m.cli_runs_summary_on_device({ device: storedSentence(run.deviceCode, run.device) }) : '',
      seed: run.seed,
      seconds: seconds !== null ? `, ${tenthsOfSecondText(seconds)}` : '',
    }),
  ];
  if (run.derivedFromRunId !== null) lines.push(m.cli_runs_summary_derived({ id: run.derivedFromRunId, epochs: run.derivedEpochs ?? '?' }));
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
    const s = metric(key);
    if (s) lines.push(`  ${key.padEnd(13)} ${m.cli_runs_summary_metric({ last: fmt(s.last), best: fmt(s.best), epoch: fmt(s.bestStep) })}`);
  }
  if (test)
    lines.push(
      `  ${padEndDisplay(m.cli_runs_summary_test_label(), 13)} ${m.cli_runs_summary_test({ accuracy: fmt(test.accuracy), loss: fmt(test.loss) })}`,
    );
  return lines.join('\n');
}

const columns = ['kernelSize', 'epochs', 'learningRate', 'batchSize', 'optimizer', 'seed'];

function formatRows(rows: RunRow[]): string {
  const headers = ['id', m.cli_runs_header_status(), m.cli_runs_header_name(), 'test_acc', 'val_acc', m.cli_runs_header_seconds()];
  return table(
    headers,
    rows.map((r) => [
      r.id,
      runStatusWord(r.status),
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
  const runs = program.command('runs').description(m.cli_runs_description());

  runs
    .command('ls')
    .description(m.cli_runs_ls_description())
    .option('--sweep <id>', m.cli_runs_option_sweep())
    .option('--status <status>', m.cli_runs_option_status())
    .option('--limit <n>', m.cli_runs_option_limit(), '50')
    .option('--json', m.cli_option_json())
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
      else print(`${formatRows(result.rows)}\n${m.cli_runs_count({ shown: result.rows.length, total: result.total })}`);
    });

  runs
    .command('show')
    .description(m.cli_runs_show_description())
    .argument('<id>', m.cli_runs_argument_id())
    .option('--json', m.cli_option_json())
    .action(async (id: string, options: { json?: boolean }) => {
      const run = await open().call('runs.get', { id: ids([id])[0]! });
      if (options.json) printJson(run);
      else print(formatRunSummary(run));
    });

  runs
    .command('compare')
    .description(m.cli_runs_compare_description())
    .argument('<ids...>', m.cli_runs_argument_ids())
    .option('--diff-only', m.cli_runs_option_diff_only())
    .option('--json', m.cli_option_json())
    .action(async (list: string[], options: { diffOnly?: boolean; json?: boolean }) => {
      const result = await open().call('runs.compare', { ids: ids(list), diffOnly: options.diffOnly ?? false });
      if (options.json) {
        printJson(result);
        return;
      }
      const headers = ['', ...result.runs.map((r) => m.cli_runs_compare_run({ id: r.id }))];
      const rows = [
        [m.cli_runs_header_status(), ...result.runs.map((r) => runStatusWord(r.status))],
        ...result.params.map((p) => [`${p.differs ? '* ' : '  '}${p.key}`, ...p.values]),
        ...result.summaries.map((s) => {
          // Ranked metrics by their best value, the leader starred (a tie stars nobody); the others by their last.
          const field = s.better === null ? 'last' : 'best';
          const note =
            s.better === null
              ? m.cli_runs_compare_last_not_ranked()
              : s.better === 'max'
                ? m.cli_runs_compare_best_higher()
                : m.cli_runs_compare_best_lower();
          return [`  ${s.key} (${note})`, ...s[field].map((v, i) => `${metricText(s.key, v)}${s.leader[field] === i ? ' ★' : ''}`)];
        }),
      ];
      print(table(headers, rows));
    });

  runs
    .command('export')
    .description(m.cli_runs_export_description())
    .argument('[ids...]', m.cli_runs_argument_ids())
    .option('--sweep <id>', m.cli_runs_option_sweep_every())
    .option('--format <format>', 'json | csv | metrics-csv', 'json')
    .option('--out <file>', m.cli_runs_option_out_file())
    .action(async (list: string[], options: { sweep?: string; format: string; out?: string }) => {
      if (list.length === 0 && options.sweep === undefined) throw new KernelLabError('invalid_input', m.cli_runs_export_no_selection());
      const selection = options.sweep !== undefined ? { sweepId: positiveInt('sweep', options.sweep)! } : { runIds: ids(list) };
      // Checked as runs.export checks it, then written a part at a time (core/db/exportWrite.ts):
      // an export of 100,000 runs is never one string here.
      const input = methods['runs.export'].input.safeParse({ selection, format: options.format });
      if (!input.success)
        throw invalidInput('input for runs.export', input.error, coreText('error_invalid_method_input', { method: 'runs.export' }));
      const stream = open().context.store.exportStream(input.data.selection, input.data.format);
      if (options.out) {
        await writeExport(stream, createWriteStream(options.out));
        printError(m.cli_runs_export_wrote({ count: stream.runCount, file: options.out }));
      } else await printDataParts(stream);
    });

  runs
    .command('import')
    .description(m.cli_runs_import_description())
    .argument('<file>', m.cli_runs_argument_export_file())
    .option('--json', m.cli_option_json())
    .action(async (file: string, options: { json?: boolean }) => {
      // Read a part at a time (core/db/exportFile.ts): an export of 100,000 runs is never one string here.
      const result = await open().context.store.importRunsFile(resolve(file));
      if (options.json) printJson(result);
      else print(m.cli_runs_import_done({ imported: result.imported, skipped: result.skipped, file }));
    });

  runs
    .command('export-model')
    .description(m.cli_runs_export_model_description())
    .argument('<id>', m.cli_runs_argument_id())
    .requiredOption('--out <dir>', m.cli_runs_option_out_dir())
    .option('--checkpoint <which>', 'best | last', 'best')
    .action(async (id: string, options: { out: string; checkpoint: string }) => {
      const result = await open().call('runs.exportModel', { id: positiveInt('id', id)!, checkpoint: options.checkpoint as never });
      mkdirSync(options.out, { recursive: true });
      for (const file of result.files) writeFileSync(join(options.out, file.name), Buffer.from(file.base64, 'base64'));
      printError(
        m.cli_runs_export_model_wrote({
          files: result.files.map((f) => f.name).join(', '),
          id: result.runId,
          epoch: result.checkpoint.epoch,
          kind: result.checkpoint.kind,
          dir: options.out,
        }),
      );
    });
}
