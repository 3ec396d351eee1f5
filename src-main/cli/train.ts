/**
 * `kernellab train`: one run, queued through the scheduler like any other (a queue of one). As
 * Keras does, one line per epoch (time, loss, accuracy, val_loss, val_accuracy, images/s) under a
 * live bar for the epoch in progress (elapsed, ETA); when the output is a log or a pipe, the
 * lines alone, as each epoch ends. Then the final metrics, where the checkpoints are and how to
 * open the run. Exit code 0 only when the run completed. A run pinned to webgpu/webgl is only
 * queued: a browser's GPU host trains it, so the command says so and exits 0.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { gpuHostWaiting, isGpuHostBackend } from '../core/contract/app.ts';
import type { MetricPointOut, RunDetail, RunProgress } from '../core/contract/runs.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { addRunFlags, axesFromFlags, baseFromFlags, positiveInt, runHelpText, type RunFlagValues } from './runFlags.ts';
import { padEndDisplay, print, printJson, terminalText } from './format.ts';
import { formatRunSummary } from './runs.ts';
import { runStatusWord, storedError } from './errorText.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { getLocale } from '../../i18n/paraglide/runtime.js';
import { durationText } from '../../i18n/coreText.ts';

const epochKeys = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;

/** One epoch as Keras prints it: `Epoch 2/5 - 12.3s - loss: 0.4123 - … - 3,307 images/s`. */
export function epochLine(epoch: number, epochs: number | null, values: Record<string, number>): string {
  const parts: string[] = [m.cli_train_epoch({ epoch, epochs: epochs ?? '?' })];
  if (values.epoch_seconds !== undefined) parts.push(m.cli_train_epoch_seconds({ s: values.epoch_seconds.toFixed(1) }));
  for (const key of epochKeys) if (values[key] !== undefined) parts.push(`${key}: ${values[key]!.toFixed(4)}`);
  if (values.samples_per_sec !== undefined)
    parts.push(m.cli_train_images_per_second({ count: Math.round(values.samples_per_sec).toLocaleString('en-US') }));
  return parts.join(' - ');
}

/**
 * How the bar says its elapsed time and ETA: cli-progress's own ("01m10s") in English, as it
 * always has; in Korean the catalogue's words (1분 10초), and an ETA it does not know yet
 * (cli-progress's 'NULL' or 'INF') as —.
 */
export function barTimeFormat(locale: 'en' | 'ko' = getLocale()): cliProgress.TimeFormatter | undefined {
  if (locale === 'en') return undefined;
  return (t: unknown) => (typeof t === 'number' && Number.isFinite(t) ? durationText(t, locale) : '—');
}

/** A label column of the summary, as wide as the English labels. */
const label = (text: string) => `  ${padEndDisplay(text, 12)}  `;

/** Where the run's checkpoints are and how to open it again, after the metrics. */
export function whereToFind(run: RunDetail): string[] {
  const lines: string[] = [];
  const folders = [...new Set(run.checkpoints.map((c) => c.path.replace(/[/\\][^/\\]+$/, '')))];
  if (run.checkpoints.length) {
    // The folder holds the latest checkpoint of each kind (each save replaces the one before).
    const latest = new Map<string, number>();
    for (const c of run.checkpoints) latest.set(c.kind, Math.max(latest.get(c.kind) ?? 0, c.epoch));
    const kinds = [...latest].map(([kind, epoch]) => m.cli_train_checkpoint_kind({ kind, epoch })).join(', ');
    lines.push(`${label(m.cli_train_checkpoints())}${folders.join(', ')} (${kinds})`);
  }
  lines.push(`${label(m.cli_train_open_it())}${m.cli_train_open_it_commands({ id: run.id })}`);
  lines.push(`${label(m.cli_train_in_browser())}${m.cli_train_in_browser_how({ id: run.id })}`);
  return lines;
}

export function registerTrain(program: Command, open: () => Service): void {
  const command = program
    .command('train')
    .description(m.cli_train_description())
    .option('--name <name>', m.cli_train_option_name())
    .option('--experiment <name>', m.cli_train_option_experiment())
    .option('--threads <n>', m.cli_train_option_threads())
    .option('--json', m.cli_train_option_json())
    .option('--yes', m.cli_train_option_yes());
  command.addHelpText('after', () => runHelpText('train'));
  addRunFlags(command, false).action(async (flags: RunFlagValues & { json?: boolean; threads?: string; yes?: boolean }) => {
    const base = baseFromFlags(flags, false);
    const threads = positiveInt('threads', flags.threads);
    const set: Record<string, string | number | boolean> = {};
    for (const [axis, values] of Object.entries(axesFromFlags(flags))) {
      if (values.length !== 1) throw new KernelLabError('invalid_input', m.cli_train_one_value({ axis }));
      set[axis] = values[0]!;
    }
    const service = open();
    // Before the run starts: this process's scheduler hands it to the run's worker.
    if (threads !== undefined) await service.call('sweeps.setConcurrency', { threads, scope: 'process' });
    const { runId } = await service.call('runs.start', {
      run: base,
      set,
      // This process trains the run it queued, and no other: not a sweep's, not the app's.
      runHere: true,
      yes: flags.yes === true,
      ...(typeof flags.name === 'string' && { name: flags.name }),
      ...(typeof flags.experiment === 'string' && { experiment: flags.experiment }),
    } as never);
    const queued = await service.call('runs.get', { id: runId });
    if (isGpuHostBackend(queued.backend)) {
      // No process of this machine trains it: a browser page does, whenever one lends its GPU.
      // Waiting here would hold the terminal for as long as nobody opens the page.
      if (flags.json) printJson(queued);
      else
        print(
          [
            m.cli_train_gpu_queued({ id: runId, backend: queued.backend, waiting: gpuHostWaiting }),
            m.cli_train_gpu_how(),
            `${label(m.cli_train_follow_it())}kernellab runs show ${runId}`,
            `${label(m.cli_train_cancel_it())}kernellab call runs.cancel '{"id":${runId}}'`,
          ].join('\n'),
        );
      return;
    }
    const epochs = typeof queued.params.epochs === 'number' ? queued.params.epochs : null;
    // The epoch lines and the bar are the output; --json is for programs: the run as JSON, nothing else.
    const quiet = flags.json === true;
    const tty = !quiet && process.stdout.isTTY === true;
    const bars = tty
      ? new cliProgress.MultiBar(
          {
            // cli-progress fills these placeholders in: the message keeps them as they are.
            format: m.cli_train_bar({
              epoch: '{epoch}',
              epochs: '{epochs}',
              bar: '{bar}',
              value: '{value}',
              total: '{total}',
              duration_formatted: '{duration_formatted}',
              eta_formatted: '{eta_formatted}',
              loss: '{loss}',
            }),
            formatTime: barTimeFormat(),
            hideCursor: true,
            stream: process.stdout,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    let bar: cliProgress.SingleBar | undefined;
    let barEpoch = 0;
    const line = (text: string) => {
      if (bars) bars.log(`${terminalText(text)}\n`);
      else if (!quiet) print(text);
    };

    const unsubscribe = service.events.subscribe((event) => {
      if (event.name === 'run.progress' && bars) {
        const p = event.payload as RunProgress;
        if (p.runId !== runId) return;
        const payload = { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4) };
        // The bar is the epoch in progress: it starts again at each epoch, so its ETA is the epoch's.
        if (!bar || barEpoch !== p.epoch) {
          if (bar) bars.remove(bar);
          bar = bars.create(p.batchesPerEpoch, p.batch, payload);
          barEpoch = p.epoch;
        } else bar.update(p.batch, payload);
      }
      if (event.name === 'metrics.appended') {
        const { runId: id, points } = event.payload as { runId: number; points: (MetricPointOut & { key: string })[] };
        if (id !== runId) return;
        // One epoch's values arrive together (the worker's epochEnd is one batch of points).
        const byEpoch = new Map<number, Record<string, number>>();
        for (const p of points) {
          if (typeof p.value !== 'number' || p.key.startsWith('batch/') || p.key.startsWith('test_')) continue;
          byEpoch.set(p.epoch, { ...byEpoch.get(p.epoch), [p.key]: p.value });
        }
        for (const [epoch, values] of byEpoch) if (values.loss !== undefined) line(epochLine(epoch, epochs, values));
      }
    });
    const stop = () => void service.call('runs.cancel', { id: runId });
    process.once('SIGINT', stop);
    try {
      // runs.wait answers at the latest after its timeout; a long run is waited for in turns.
      while (!(await service.call('runs.wait', { id: runId })).ended);
    } finally {
      process.off('SIGINT', stop);
      unsubscribe();
      bars?.stop();
    }
    const detail = await service.call('runs.get', { id: runId });
    if (flags.json) printJson(detail);
    else print([formatRunSummary(detail), ...whereToFind(detail)].join('\n'));
    if (detail.status !== 'completed') {
      throw new KernelLabError(
        'internal',
        m.cli_train_ended({
          id: runId,
          status: runStatusWord(detail.status),
          error: detail.error ? `: ${storedError({ ...detail, error: detail.error })}` : '',
        }),
      );
    }
  });
}
