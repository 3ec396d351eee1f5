/**
 * `kernellab train`: one run, queued through the scheduler like any other (a queue of one), with
 * a progress bar and the final metrics. Exit code 0 only when the run completed.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { RunProgress } from '../core/contract/runs.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { addRunFlags, axesFromFlags, baseFromFlags, type RunFlagValues } from './runFlags.ts';
import { print, printJson } from './format.ts';
import { formatRunSummary } from './runs.ts';

export function registerTrain(program: Command, open: () => Service): void {
  const command = program
    .command('train')
    .description('train one run and print its final metrics (exit 0 only when it completed)')
    .option('--name <name>', 'run name')
    .option('--experiment <name>', 'file the run under this experiment')
    .option('--json', 'print the finished run as JSON');
  addRunFlags(command, false).action(async (flags: RunFlagValues & { json?: boolean }) => {
    const base = baseFromFlags(flags, false);
    const set: Record<string, string | number | boolean> = {};
    for (const [axis, values] of Object.entries(axesFromFlags(flags))) {
      if (values.length !== 1)
        throw new KernelLabError('invalid_input', `--${axis}: train takes one value; use kernellab sweep for several`);
      set[axis] = values[0]!;
    }
    const service = open();
    const { runId } = await service.call('runs.start', {
      run: base,
      set,
      // This process trains the run it queued, and no other: not a sweep's, not the app's.
      runHere: true,
      ...(typeof flags.name === 'string' && { name: flags.name }),
      ...(typeof flags.experiment === 'string' && { experiment: flags.experiment }),
    } as never);
    const bar = new cliProgress.SingleBar(
      { format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | acc {acc} | {speed} img/s', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let barStarted = false;
    const unsubscribe = service.events.subscribe((event) => {
      if (event.name !== 'run.progress') return;
      const p = event.payload as RunProgress;
      if (p.runId !== runId) return;
      const total = p.epochs * p.batchesPerEpoch;
      const value = (p.epoch - 1) * p.batchesPerEpoch + p.batch;
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(4),
        acc: p.accuracy.toFixed(4),
        speed: Math.round(p.samplesPerSec),
      };
      if (!barStarted) {
        bar.start(total, value, payload);
        barStarted = true;
      } else bar.update(value, payload);
    });
    const stop = () => void service.call('runs.cancel', { id: runId });
    process.once('SIGINT', stop);
    try {
      // runs.wait answers at the latest after its timeout; a long run is waited for in turns.
      while (!(await service.call('runs.wait', { id: runId })).ended);
    } finally {
      process.off('SIGINT', stop);
      unsubscribe();
      if (barStarted) bar.stop();
    }
    const detail = await service.call('runs.get', { id: runId });
    if (flags.json) printJson(detail);
    else print(formatRunSummary(detail));
    if (detail.status !== 'completed') {
      throw new KernelLabError('internal', `run ${runId} ended ${detail.status}${detail.error ? `: ${detail.error}` : ''}`);
    }
  });
}
