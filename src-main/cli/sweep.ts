/**
 * `kernellab sweep`: from flags (`--kernel-size 3,5,7 --epochs 5,10,15`) or a spec file
 * (`kernellab sweep spec.yaml`), preview, queue, run with this process's scheduler and print the
 * results; `kernellab sweep resume` finishes sweeps left unfinished by a stop or a crash.
 * Exit code 0 only when every planned run completed.
 */
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { SweepImportance, SweepPreview, SweepProgress, SweepSpecInput } from '../core/contract/sweeps.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { addRunFlags, axesFromFlags, baseFromFlags, options, positiveInt, runHelpText, type RunFlagValues } from './runFlags.ts';
import { displayWidth, padEndDisplay, print, printError, printJson, terminalText } from './format.ts';
import { gpuHostWaiting, isGpuHostBackend } from '../core/contract/app.ts';
import { table } from './runs.ts';
import { parseSweepSpecText } from './specFile.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { durationText, tenthsOfSecondText } from '../../i18n/coreText.ts';
import { runStatusWord, storedProblems, storedSentence } from './errorText.ts';

type SweepFlags = RunFlagValues & {
  yes?: boolean;
  fold?: boolean;
  json?: boolean;
  dryRun?: boolean;
  timeBudget?: string;
  pruner?: string;
  optimize?: string;
  metric?: string;
  threads?: string;
};

/**
 * `--pruner asha:r=2,eta=4` or `median:startup_trials=3,warmup_epochs=1` → a pruner spec; the
 * spec's own names work too (min_epochs, reduction_factor, …). The core checks names and values.
 */
export function prunerFlag(text: string): Record<string, unknown> {
  const colon = text.indexOf(':');
  const type = (colon === -1 ? text : text.slice(0, colon)).trim();
  const rest = colon === -1 ? '' : text.slice(colon + 1);
  if (type === '') throw new KernelLabError('invalid_input', m.cli_flags_pruner_none({ text }));
  const rename = { r: 'minEpochs', eta: 'reductionFactor', s: 'minEarlyStoppingRate' };
  return { type, ...(rest.trim() === '' ? {} : options('pruner', rest, rename)) };
}

/** `--optimize val_loss` or `val_loss:minimize` → what the search optimises. */
export function optimizeFlag(text: string): Record<string, unknown> {
  const [metric, direction, ...extra] = text.split(':').map((p) => p.trim());
  if (!metric || extra.length > 0) throw new KernelLabError('invalid_input', m.cli_flags_optimize_shape({ text }));
  return { metric, ...(direction !== undefined ? { direction } : {}) };
}

function specFromFlags(flags: SweepFlags): SweepSpecInput {
  const axes: Record<string, unknown[]> = axesFromFlags(flags);
  const datasets = flags.dataset?.split(',').map((d) => d.trim()) ?? [];
  if (datasets.length > 1) axes.dataset = datasets;
  const backends = flags.backend?.split(',').map((b) => b.trim()) ?? [];
  if (backends.length > 1) axes.backend = backends;
  const spec: Record<string, unknown> = { base: baseFromFlags(flags, true), axes };
  if (flags.name !== undefined) spec.name = flags.name;
  if (flags.experiment !== undefined) spec.experiment = flags.experiment;
  if (flags.method !== undefined) spec.method = flags.method;
  if (flags.trials !== undefined) spec.trials = positiveInt('trials', flags.trials);
  if (flags.repeats !== undefined) spec.repeats = positiveInt('repeats', flags.repeats);
  if (flags.samplerSeed !== undefined) spec.samplerSeed = Number(flags.samplerSeed);
  if (flags.timeBudget !== undefined) spec.timeBudgetMinutes = Number(flags.timeBudget);
  if (flags.pruner !== undefined) spec.pruner = prunerFlag(flags.pruner);
  if (flags.optimize !== undefined) spec.optimize = optimizeFlag(flags.optimize);
  return spec as SweepSpecInput;
}

export function formatPreview(preview: SweepPreview): string {
  const lines: string[] = [
    m.cli_sweep_preview_counts({
      planned: preview.planned,
      trained: preview.trained,
      derived: preview.derived,
      impossible: preview.impossible,
    }),
    m.cli_sweep_preview_folding({
      state: preview.folding.enabled ? m.cli_sweep_preview_on() : m.cli_sweep_preview_off(),
      reason: storedSentence(preview.folding.reasonCode, preview.folding.reason),
    }),
    m.cli_sweep_preview_estimate({
      duration: durationText(preview.estimate.seconds),
      workers: preview.estimate.workers,
      detail: storedSentence(preview.estimate.detailCode, preview.estimate.detail),
    }),
  ];
  const { search, pruning } = preview;
  if (search.method === 'tpe')
    lines.push(
      m.cli_sweep_preview_tpe({
        trials: search.trials ?? m.cli_sweep_preview_tpe_as_many(),
        budget: search.timeBudgetMinutes === null ? '' : m.cli_sweep_preview_tpe_within({ minutes: search.timeBudgetMinutes }),
        metric: search.optimize.metric,
        direction: search.optimize.direction,
      }),
    );
  else if (search.timeBudgetMinutes !== null) lines.push(m.cli_sweep_preview_budget({ minutes: search.timeBudgetMinutes }));
  if (pruning)
    lines.push(
      m.cli_sweep_preview_pruner({
        pruner: String(search.pruner),
        expected: Math.round(pruning.expectedEpochs),
        trained: pruning.trainedEpochs,
        duration: durationText(pruning.seconds),
        saved: durationText(pruning.savedSeconds),
        assumption: pruning.assumption,
      }),
    );
  const impossible = preview.points.filter((p) => p.role === 'impossible');
  // A few of them say why; a sweep of 10⁶ points may have thousands.
  if (impossible.length > 20) lines.push(m.cli_sweep_preview_first_impossible({ count: preview.impossible }));
  for (const p of impossible.slice(0, 20)) {
    lines.push(
      m.cli_sweep_preview_impossible_point({
        index: p.index,
        values: Object.entries(p.values)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' '),
        error: storedProblems(p.errorCodes, String(p.error)),
      }),
    );
  }
  return lines.join('\n');
}

/** How many points `--dry-run` lists before it says how many more there are. */
export const dryRunPoints = 40;

/**
 * The points a sweep expands to, one line each (values, repeat and seed, what becomes of it, the
 * time it should take), the first `limit` of them and then how many more — a grid can be huge.
 */
export function formatPoints(preview: SweepPreview, limit = dryRunPoints): string {
  const total = preview.planned + preview.impossible;
  const shown = preview.points.slice(0, limit);
  const lines: string[] = [m.cli_sweep_points_title({ shown: Math.min(limit, shown.length), total })];
  const rows = shown.map((p) => {
    const values = Object.entries(p.values).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    const what =
      p.role === 'train'
        ? m.cli_sweep_points_train({ duration: durationText(p.estimatedSeconds) })
        : p.role === 'derived'
          ? m.cli_sweep_points_derived({ point: String(p.foldedInto) })
          : m.cli_sweep_points_impossible({ error: storedProblems(p.errorCodes, String(p.error)) });
    return [`  ${p.index}`, values.join(' ') || m.cli_sweep_points_base_run(), m.cli_sweep_points_seed({ seed: p.seed }), what];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => displayWidth(r[i]!))));
  for (const r of rows) lines.push(r.map((c, i) => (i < 3 ? padEndDisplay(c, widths[i]!) : c)).join('  '));
  if (total > shown.length)
    lines.push(
      m.cli_sweep_points_more({
        count: (total - shown.length).toLocaleString('en-US'),
        listed: preview.points.length.toLocaleString('en-US'),
      }),
    );
  return lines.join('\n');
}

async function follow(service: Service, sweepIds: number[], quiet: boolean): Promise<SweepProgress[]> {
  const bar = new cliProgress.MultiBar(
    // cli-progress fills these placeholders in: the message keeps them as they are.
    { format: m.cli_sweep_bar({ sweep: '{sweep}', bar: '{bar}', value: '{value}', total: '{total}', text: '{text}' }), hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<number, cliProgress.SingleBar>();
  // A bar on a terminal; one line per change when the output is a log or a pipe.
  const tty = process.stderr.isTTY === true;
  const lastText = new Map<number, string>();
  const show = (p: SweepProgress) => {
    if (quiet) return;
    if (!tty) {
      const text = storedSentence(p.textCode, p.text);
      if (lastText.get(p.sweepId) !== text) printError(m.cli_sweep_line({ id: p.sweepId, text }));
      lastText.set(p.sweepId, text);
      return;
    }
    const existing = bars.get(p.sweepId);
    // The bar writes its payload straight to the terminal: the text may carry run names.
    const payload = { text: terminalText(storedSentence(p.textCode, p.text)), sweep: p.sweepId };
    if (existing) existing.update(p.done, payload);
    else bars.set(p.sweepId, bar.create(p.planned, p.done, payload));
  };
  const unsubscribe = service.events.subscribe((event) => {
    if (event.name === 'sweep.progress' && sweepIds.includes((event.payload as SweepProgress).sweepId))
      show(event.payload as SweepProgress);
  });
  const stop = () => {
    for (const id of sweepIds) void service.call('sweeps.pause', { id });
  };
  process.once('SIGINT', stop);
  try {
    const open = new Set(sweepIds);
    const last = new Map<number, SweepProgress>();
    while (open.size > 0) {
      for (const id of [...open]) {
        const p = await service.call('sweeps.progress', { id });
        last.set(id, p);
        show(p);
        // Finished, paused, or left with interrupted runs only (a worker's process died): stop
        // following. While the sweep is 'running' with nothing open, derived runs are being recorded.
        const idle = p.running === 0 && p.queued === 0;
        if (
          p.status === 'completed' ||
          p.status === 'failed' ||
          p.status === 'canceled' ||
          (idle && (p.status === 'paused' || p.interrupted > 0))
        )
          open.delete(id);
      }
      if (open.size > 0) await new Promise((r) => setTimeout(r, 300));
    }
    return sweepIds.map((id) => last.get(id)!);
  } finally {
    process.off('SIGINT', stop);
    unsubscribe();
    bar.stop();
  }
}

/**
 * The end of a sweep: one line of counts, then its runs as a table with one column per swept
 * axis, sorted by the metric (best first, as that metric ranks: accuracy down, loss up).
 */
async function report(service: Service, progress: SweepProgress[], json: boolean, metricFlag?: string): Promise<void> {
  const results = [];
  for (const p of progress) {
    const sweep = await service.call('sweeps.get', { id: p.sweepId });
    const metric = metricFlag ?? (await service.call('runs.columns', { sweepId: p.sweepId })).main ?? 'val_accuracy';
    const probe = await service.call('runs.list', { sweepId: p.sweepId, limit: 1, metricColumns: [{ key: metric, field: 'best' }] });
    const better = probe.metricKinds[metric]?.better ?? null;
    const extra = metric === 'test_accuracy' ? [] : [{ key: 'test_accuracy', field: 'last' as const }];
    const runs = await service.call('runs.list', {
      sweepId: p.sweepId,
      limit: 1000,
      sort: { by: `metric:${metric}.best`, dir: better === 'min' ? 'asc' : 'desc' },
      paramColumns: sweep.axes.map((a) => a.param),
      metricColumns: [{ key: metric, field: 'best' }, ...extra],
    });
    results.push({ progress: p, metric, runs: runs.rows });
    if (!json) {
      print(
        m.cli_sweep_report_counts({
          id: p.sweepId,
          status: runStatusWord(p.status),
          completed: p.completed,
          planned: p.planned,
          failed: p.failed,
          canceled: p.canceled,
        }),
      );
      const seconds = (r: (typeof runs.rows)[number]) =>
        r.startedAt !== null && r.endedAt !== null ? tenthsOfSecondText((r.endedAt - r.startedAt) / 1000) : '';
      print(
        table(
          [
            'id',
            ...sweep.axes.map((a) => a.name),
            m.cli_sweep_report_best({ metric }),
            ...extra.map((x) => `${x.key} (${x.field})`),
            m.cli_sweep_report_time(),
            m.cli_sweep_report_status(),
          ],
          runs.rows.map((r) => [
            r.id,
            ...sweep.axes.map((a) => r.params[a.param]),
            r.metrics[`${metric}.best`],
            ...extra.map((x) => r.metrics[`${x.key}.${x.field}`]),
            seconds(r),
            runStatusWord(r.status),
          ]),
        ),
      );
      print(m.cli_sweep_report_sorted({ metric }));
    }
  }
  if (json) printJson(results.length === 1 ? results[0] : results);
  const incomplete = progress.filter((p) => p.completed < p.planned);
  if (incomplete.length > 0) {
    throw new KernelLabError(
      'internal',
      incomplete
        .map((p) => m.cli_sweep_incomplete({ id: p.sweepId, completed: p.completed, planned: p.planned, status: runStatusWord(p.status) }))
        .join('; '),
    );
  }
}

/** A bar of `share` (0–1) in `width` characters. */
function bar(share: number, width = 30): string {
  const eighths = Math.round(Math.max(0, Math.min(1, share)) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? '▏▎▍▌▋▊▉'[(eighths % 8) - 1]! : '');
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

export function formatImportance(result: SweepImportance): string {
  const lines: string[] = [
    m.cli_sweep_importance_title({ id: result.sweepId, metric: result.metric, direction: result.direction, trials: result.trials }),
  ];
  if (result.note) lines.push(result.note);
  else
    lines.push(
      table(
        [m.cli_sweep_importance_header_axis(), m.cli_sweep_importance_header_importance(), '', m.cli_sweep_importance_header_trees()],
        result.axes.map((a) => [terminalText(a.name), `${(a.importance * 100).toFixed(1)} %`, bar(a.importance), num(a.std)]),
      ),
    );
  for (const marginal of result.marginals) {
    lines.push('', m.cli_sweep_importance_marginal({ axis: terminalText(marginal.axis), metric: result.metric }));
    lines.push(
      table(
        [
          m.cli_sweep_importance_header_value(),
          m.cli_sweep_importance_header_mean(),
          m.cli_sweep_importance_header_sd(),
          m.cli_sweep_importance_header_min(),
          m.cli_sweep_importance_header_max(),
          m.cli_sweep_importance_header_runs(),
        ],
        marginal.bins.map((b) => [terminalText(b.label), num(b.mean), num(b.std), num(b.min), num(b.max), b.count]),
      ),
    );
  }
  const best = result.bestSoFar.at(-1);
  if (best) lines.push('', m.cli_sweep_importance_best({ metric: result.metric, best: num(best.best), count: result.bestSoFar.length }));
  if (result.pruned.length > 0) lines.push(m.cli_sweep_importance_pruned({ count: result.pruned.length }));
  if (result.impossible.length > 0) lines.push(m.cli_sweep_importance_impossible({ count: result.impossible.length }));
  return lines.join('\n');
}

export function registerSweep(program: Command, open: () => Service): Command {
  const command = program
    .command('sweep')
    .description(m.cli_sweep_description())
    .argument('[spec]', m.cli_sweep_argument_spec())
    .option('--id <id>', m.cli_sweep_option_id())
    .option('--name <name>', m.cli_sweep_option_name())
    .option('--experiment <name>', m.cli_sweep_option_experiment())
    .option('--method <method>', 'grid | random | tpe', undefined)
    .option('--trials <n>', m.cli_sweep_option_trials())
    .option('--time-budget <minutes>', m.cli_sweep_option_time_budget())
    .option('--pruner <type[:option=value,…]>', m.cli_sweep_option_pruner())
    .option('--optimize <metric[:direction]>', m.cli_sweep_option_optimize())
    .option('--sampler-seed <n>', m.cli_sweep_option_sampler_seed())
    .option('--repeats <n>', m.cli_sweep_option_repeats())
    .option('--no-fold', m.cli_sweep_option_no_fold())
    .option('--workers <n>', m.cli_sweep_option_workers())
    .option('--threads <n>', m.cli_sweep_option_threads())
    .option('--yes', m.cli_sweep_option_yes())
    .option('--dry-run', m.cli_sweep_option_dry_run({ count: dryRunPoints }))
    .option('--metric <metric>', m.cli_sweep_option_metric())
    .option('--json', m.cli_option_json());
  command.addHelpText('after', () => runHelpText('sweep'));
  addRunFlags(command, true).action(async (specArg: string | undefined, flags: SweepFlags) => {
    const service = open();
    const quiet = flags.json === true;
    const workers = positiveInt('workers', flags.workers);
    const threads = positiveInt('threads', flags.threads);
    if (workers !== undefined || threads !== undefined)
      await service.call('sweeps.setConcurrency', {
        ...(workers !== undefined && { workers }),
        ...(threads !== undefined && { threads }),
        scope: 'process',
      });
    if (specArg === 'resume') {
      const resumed = await service.call('sweeps.resume', flags.id !== undefined ? { id: positiveInt('id', flags.id)! } : {});
      if (resumed.sweepIds.length === 0) {
        if (flags.json) printJson({ sweepIds: [] });
        else print(m.cli_sweep_nothing_to_resume());
        return;
      }
      if (!quiet) printError(m.cli_sweep_resuming({ ids: resumed.sweepIds.join(', '), count: resumed.requeued }));
      await report(service, await follow(service, resumed.sweepIds, quiet), quiet, flags.metric);
      return;
    }
    let spec: SweepSpecInput;
    if (specArg !== undefined) {
      let text: string;
      try {
        text = readFileSync(specArg, 'utf8');
      } catch (error) {
        throw new KernelLabError(
          'invalid_input',
          m.cli_sweep_cannot_read({ file: specArg, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message }),
        );
      }
      spec = parseSweepSpecText(text, specArg) as SweepSpecInput;
    } else spec = specFromFlags(flags);
    if (flags.yes) spec = { ...spec, yes: true };
    if (flags.fold === false) spec = { ...spec, fold: false };
    const preview = await service.call('sweeps.preview', { spec });
    if (flags.dryRun) {
      if (flags.json) printJson(preview);
      else print(`${formatPreview(preview)}\n${formatPoints(preview)}`);
      return;
    }
    if (!quiet) printError(formatPreview(preview));
    const started = await service.call('sweeps.start', { spec });
    if (!quiet) printError(m.cli_sweep_queued({ id: started.sweepId, count: started.queued }));
    const baseBackend = (spec.base as { hyperparameters?: { backend?: unknown } } | undefined)?.hyperparameters?.backend;
    if (!quiet && preview.points.some((p) => p.role === 'train' && isGpuHostBackend(p.values.backend ?? baseBackend)))
      printError(m.cli_sweep_gpu_waiting({ id: started.sweepId, waiting: gpuHostWaiting }));
    await report(service, await follow(service, [started.sweepId], quiet), quiet, flags.metric);
  });
  command
    .command('importance')
    .description(m.cli_sweep_importance_description())
    .argument('<id>', m.cli_sweep_argument_id())
    .option('--metric <metric>', m.cli_sweep_importance_option_metric())
    .option('--json', m.cli_option_json())
    .action(async (id: string, _flags: unknown, sub: Command) => {
      // `--json` and `--metric` belong to `sweep` too: read them wherever commander put them.
      const flags = sub.optsWithGlobals<{ metric?: string; json?: boolean }>();
      const service = open();
      const result = await service.call('sweeps.importance', {
        id: positiveInt('id', id)!,
        ...(flags.metric === undefined ? {} : { metric: flags.metric }),
      });
      if (flags.json) printJson(result);
      else print(formatImportance(result));
    });
  return command;
}
