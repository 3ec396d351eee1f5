/**
 * Running the cluster's own tools (sbatch, squeue, scancel, ssh): arguments as an array (no
 * shell here), a time limit, bounded output, and an error that says which command failed and what
 * it printed. Over SSH the remote side runs a command line built only from values the contract
 * checked (no quotes, $, ; or newlines in them), each single-quoted.
 */
import { spawn } from 'node:child_process';
import { coreText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const maxOutput = 8 * 1024 * 1024;

export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < maxOutput) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < maxOutput) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? coded('unavailable', `${command} is not installed here (not found on PATH)`, 'cluster_command_missing', { command })
          : coded('unavailable', `${command} could not start: ${error.message}`, 'cluster_command_cannot_start', {
              command,
              reason: error.message.slice(0, 1000),
            }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // A command that exits without reading its input: its exit code tells what happened.
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and insists on exit code 0; the error names the command and quotes its output. */
export async function mustRun(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join(' / ').slice(0, 1000);
    const line = `${[command, ...args.slice(0, 3)].join(' ')}${args.length > 3 ? ' …' : ''}`.slice(0, 1000);
    const exit = String(result.code ?? 'killed');
    // The command line and what it said pass as they are.
    throw new KernelLabError('unavailable', `${line} failed (exit ${exit})${said ? `: ${said}` : ''}`, undefined, {
      text: said
        ? coreText('cluster_command_failed_said', { command: line, exit, said })
        : coreText('cluster_command_failed', { command: line, exit }),
    });
  }
  return result.stdout;
}

/** A word for a remote shell: single-quoted (values reaching here never hold quotes; refused if they do). */
export function shellQuote(word: string): string {
  if (/['\0\n]/.test(word))
    throw coded('invalid_input', `cannot pass ${JSON.stringify(word)} to a remote shell`, 'cluster_shell_quote', {
      value: JSON.stringify(word).slice(0, 1000),
    });
  return `'${word}'`;
}

/** Where a cluster's commands run: this machine, or a login node over SSH (BatchMode: never a password prompt). */
export interface CommandHost {
  readonly label: string;
  run(command: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
}

export const localHost: CommandHost = {
  label: 'this machine',
  run: (command, args, options) => mustRun(command, args, options),
};

export function sshHost(destination: string): CommandHost {
  return {
    label: destination,
    run: (command, args, options) =>
      mustRun(
        'ssh',
        ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', destination, [command, ...args].map(shellQuote).join(' ')],
        options,
      ),
  };
}
