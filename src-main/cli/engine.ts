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
import { print, printJson } from './format.ts';

function parseName(value: string): EngineName {
  const parsed = EngineName.safeParse(value);
  if (!parsed.success) throw new KernelLabError('invalid_input', `'${value}' is not an engine; expected ${EngineName.options.join(', ')}`);
  return parsed.data;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/** A few lines per engine: state, versions, devices, and what is missing for an install. */
export function describeEngine(e: EngineInfo): string {
  const lines: string[] = [];
  const m = e.manifest;
  if (e.status === 'ready' && m) {
    lines.push(
      `${e.name}: ready — TensorFlow ${m.check.tensorflowVersion} (${m.variant.toUpperCase()}, ${m.source === 'wheel' ? 'from wheels, built here' : 'official download'}), tfjs-node-gpu ${m.tfjsNodeVersion}, ${gb(m.bytes)}`,
      `  folder   ${e.dir}`,
      `  devices  ${m.check.devices.join('; ')}`,
    );
    if (m.cuda) lines.push(`  CUDA     ${m.cuda}, cuDNN ${m.cudnn ?? '?'}`);
    lines.push(`  checked  conv step vs cpu: ${m.check.maxRelativeError.toExponential(1)} relative; installed ${m.installedAt}`);
    if (m.check.note) lines.push(`  note     ${m.check.note}`);
    lines.push(`  from     ${m.origin.join(', ')}`);
  } else if (e.status === 'installing') {
    lines.push(`${e.name}: installing${e.progress ? ` — step ${e.progress.step}/${e.progress.steps}: ${e.progress.message}` : ''}`);
  } else {
    lines.push(`${e.name}: ${e.status === 'broken' ? 'broken' : 'not installed'}${e.problem ? ` — ${e.problem.split('\n')[0]}` : ''}`);
    lines.push(`  install with: kernellab engine install ${e.name} [--gpu]`);
  }
  const missing = e.requirements.filter((r) => !r.ok);
  if (e.status !== 'ready' || missing.length > 0) {
    lines.push('  an install from wheels needs:');
    for (const r of e.requirements) lines.push(`    ${r.ok ? '✓' : '✗'} ${r.name.padEnd(13)} ${r.detail}`);
  }
  return lines.join('\n');
}

export function registerEngine(program: Command, open: () => Service): void {
  const engine = program
    .command('engine')
    .description('install, list and remove native training engines (tensorflow: libtensorflow CPU or CUDA 12)');

  engine
    .command('ls')
    .description('the engines in the data folder: versions, devices, and what an install needs that this machine lacks')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await open().call('engines.list', {});
      if (options.json) printJson(list);
      else print(`engines folder: ${list.enginesDir}\n${list.engines.map(describeEngine).join('\n')}`);
    });

  engine
    .command('install')
    .description(
      'install an engine: the official download where it works, else TensorFlow wheels from your pip and a build of the addon; checked against the cpu backend before it replaces the installed one',
    )
    .argument('<name>', EngineName.options.join(' | '))
    .option('--gpu', 'the CUDA 12 build with the NVIDIA CUDA/cuDNN wheels (Linux x64)')
    .option('--tf-version <version>', 'TensorFlow wheel version (default: the tested one)')
    .option('--wheel <files...>', 'wheel files already on disk instead of pip download (offline)')
    .option('--python <path>', 'the Python whose pip downloads the wheels (default: $KERNELLAB_PYTHON, python3, python)')
    .option('--skip-official', 'do not try the official libtensorflow 2.9.1 download first')
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
            format: `${name} [{bar}] step {step}/{steps} {phase} | {message}`,
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
            if (p.phase !== lastPhase) print(`[${p.step}/${p.steps}] ${p.phase}: ${p.message}`);
            lastPhase = p.phase;
            return;
          }
          const value = Math.round(((p.step - 1 + (p.fraction ?? 0)) / p.steps) * 1000);
          const payload = { step: p.step, steps: p.steps, phase: p.phase, message: p.message.slice(0, 70) };
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
    .description('delete an installed engine (runs then use wasm)')
    .argument('<name>', EngineName.options.join(' | '))
    .action(async (nameText: string) => {
      const { removed } = await open().call('engines.remove', { name: parseName(nameText) });
      print(removed ? `${nameText} engine removed` : `no ${nameText} engine was installed`);
    });
}
