/**
 * `kernellab engine install|ls|rm`: the native engines in the data folder, through the same
 * service methods as the app's Engines panel. Exit codes: 0 done, 1 failed, 2 bad input.
 */
import { resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { EngineName, type EngineInfo, type EngineProgress } from '../core/contract/engines.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { displayWidth, padEndDisplay, print, printJson } from './format.ts';
import { storedSentence } from './errorText.ts';
import { m } from '../../i18n/paraglide/messages.js';

function parseName(value: string): EngineName {
  const parsed = EngineName.safeParse(value);
  if (!parsed.success)
    throw new KernelLabError('invalid_input', m.cli_engine_not_an_engine({ value, names: EngineName.options.join(', ') }));
  return parsed.data;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/** A few lines per engine: state, versions, devices, and what is missing for an install. */
export function describeEngine(e: EngineInfo): string {
  const lines: string[] = [];
  const manifest = e.manifest;
  if (e.status === 'ready' && manifest) {
    const labels = [
      m.cli_engine_label_folder(),
      m.cli_engine_label_devices(),
      'CUDA',
      m.cli_engine_label_checked(),
      m.cli_engine_label_note(),
      m.cli_engine_label_from(),
    ];
    const width = Math.max(...labels.map(displayWidth));
    const label = (text: string) => `  ${padEndDisplay(text, width)}  `;
    lines.push(
      m.cli_engine_ready({
        name: e.name,
        version: manifest.check.tensorflowVersion,
        variant: manifest.variant.toUpperCase(),
        source: manifest.source === 'wheel' ? m.cli_engine_source_wheel() : m.cli_engine_source_official(),
        tfjs: manifest.tfjsNodeVersion,
        size: gb(manifest.bytes),
      }),
      `${label(m.cli_engine_label_folder())}${e.dir}`,
      `${label(m.cli_engine_label_devices())}${manifest.check.devices.map((d, i) => storedSentence(manifest.check.devicesCode?.[i], d)).join('; ')}`,
    );
    if (manifest.cuda) lines.push(`${label('CUDA')}${manifest.cuda}, cuDNN ${manifest.cudnn ?? '?'}`);
    lines.push(
      `${label(m.cli_engine_label_checked())}${m.cli_engine_checked({ error: manifest.check.maxRelativeError.toExponential(1), at: manifest.installedAt })}`,
    );
    if (manifest.check.note)
      lines.push(`${label(m.cli_engine_label_note())}${storedSentence(manifest.check.noteCode, manifest.check.note)}`);
    lines.push(`${label(m.cli_engine_label_from())}${manifest.origin.join(', ')}`);
  } else if (e.status === 'installing') {
    const step = e.progress
      ? m.cli_engine_installing_step({
          step: e.progress.step,
          steps: e.progress.steps,
          message: storedSentence(e.progress.messageCode, e.progress.message),
        })
      : '';
    lines.push(m.cli_engine_installing({ name: e.name, step }));
  } else {
    lines.push(
      `${e.name}: ${e.status === 'broken' ? m.cli_engine_broken() : m.cli_engine_not_installed()}${e.problem ? ` — ${storedSentence(e.problemCode, e.problem).split('\n')[0]}` : ''}`,
    );
    lines.push(`  ${m.cli_engine_install_with({ name: e.name })}`);
  }
  const missing = e.requirements.filter((r) => !r.ok);
  if (e.status !== 'ready' || missing.length > 0) {
    lines.push(`  ${m.cli_engine_needs()}`);
    for (const r of e.requirements) lines.push(`    ${r.ok ? '✓' : '✗'} ${r.name.padEnd(13)} ${storedSentence(r.detailCode, r.detail)}`);
  }
  return lines.join('\n');
}

export function registerEngine(program: Command, open: () => Service): void {
  const engine = program.command('engine').description(m.cli_engine_description());

  engine
    .command('ls')
    .description(m.cli_engine_ls_description())
    .option('--json', m.cli_option_json())
    .action(async (options: { json?: boolean }) => {
      const list = await open().call('engines.list', {});
      if (options.json) printJson(list);
      else print(`${m.cli_engine_folder({ dir: list.enginesDir })}\n${list.engines.map(describeEngine).join('\n')}`);
    });

  engine
    .command('install')
    .description(m.cli_engine_install_description())
    .argument('<name>', EngineName.options.join(' | '))
    .option('--gpu', m.cli_engine_option_gpu())
    .option('--tf-version <version>', m.cli_engine_option_tf_version())
    .option('--wheel <files...>', m.cli_engine_option_wheel())
    .option('--python <path>', m.cli_engine_option_python())
    .option('--skip-official', m.cli_engine_option_skip_official())
    .action(
      async (
        nameText: string,
        options: { gpu?: boolean; tfVersion?: string; wheel?: string[]; python?: string; skipOfficial?: boolean },
      ) => {
        const name = parseName(nameText);
        // The CLI's service runs in this process: the interpreter is this process's choice, never a request's.
        if (options.python) process.env.KERNELLAB_PYTHON = resolve(options.python);
        const service = open();
        const bar = new SingleBar(
          {
            // cli-progress fills these placeholders in: the message keeps them as they are.
            format: m.cli_engine_bar({ name, bar: '{bar}', step: '{step}', steps: '{steps}', phase: '{phase}', message: '{message}' }),
            hideCursor: true,
            noTTYOutput: true,
            notTTYSchedule: 10_000,
          },
          Presets.shades_classic,
        );
        let started = false;
        let lastPhase = '';
        const unsubscribe = service.events.subscribe((event) => {
          if (event.name !== 'engine.progress') return;
          const p = event.payload as EngineProgress;
          if (p.engine !== name || p.phase === 'failed' || p.phase === 'canceled') return;
          // Without a terminal, one line per phase: a log a person (or CI) can read.
          if (!process.stdout.isTTY) {
            const message = storedSentence(p.messageCode, p.message);
            if (p.phase !== lastPhase) print(m.cli_engine_step({ step: p.step, steps: p.steps, phase: p.phase, message }));
            lastPhase = p.phase;
            return;
          }
          const value = Math.round(((p.step - 1 + (p.fraction ?? 0)) / p.steps) * 1000);
          const payload = { step: p.step, steps: p.steps, phase: p.phase, message: storedSentence(p.messageCode, p.message).slice(0, 70) };
          if (!started) {
            bar.start(1000, value, payload);
            started = true;
          } else bar.update(value, payload);
        });
        const onSignal = () => void service.call('engines.cancel', { name });
        process.once('SIGINT', onSignal);
        try {
          const info = await service.call('engines.install', {
            name,
            wait: true,
            gpu: options.gpu === true,
            skipOfficial: options.skipOfficial === true,
            ...(options.tfVersion ? { tensorflowVersion: options.tfVersion } : {}),
            ...(options.wheel ? { wheelFiles: options.wheel.map((f) => resolve(f)) } : {}),
          });
          if (started) bar.stop();
          print(describeEngine(info));
        } finally {
          if (started) bar.stop();
          unsubscribe();
          process.off('SIGINT', onSignal);
        }
      },
    );

  engine
    .command('rm')
    .description(m.cli_engine_rm_description())
    .argument('<name>', EngineName.options.join(' | '))
    .action(async (nameText: string) => {
      const { removed } = await open().call('engines.remove', { name: parseName(nameText) });
      print(removed ? m.cli_engine_removed({ name: nameText }) : m.cli_engine_none_installed({ name: nameText }));
    });
}
