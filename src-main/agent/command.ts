/**
 * The `agent` command line, shared by `kernellab agent` and the single-file `kernellab-agent`
 * (main.ts). Parses the flags, turns SIGTERM/SIGINT into an orderly stop (the run is reported
 * interrupted and goes back to the queue), and exits with the agent's code.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { runAgent, type AgentOptions } from '../core/agents/agent.ts';
import { BackendName } from '../core/contract/app.ts';
import { KernelLabError } from '../core/errors.ts';

export interface AgentFlags {
  server: string;
  tokenFile: string;
  sweep?: number;
  count?: number;
  backend?: BackendName;
  spool?: string;
  cache?: string;
  ca?: string;
  threads?: number;
  job?: string;
  patience?: number;
  json?: boolean;
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new KernelLabError('invalid_input', `--${name}: '${value}' is not a whole number of at least 1`);
    return n;
  };
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kernellab-agent');
}

/** Adds the agent's flags and action to `command`; `write` prints a line to stderr. */
export function defineAgentCommand(
  command: Command,
  io: { write: (line: string) => void; json: (value: unknown) => void },
  extra: Partial<AgentOptions> = {},
): Command {
  const { write } = io;
  return command
    .description('pull runs of a sweep from a KernelLab server and train them here (a Slurm task, a pod, any machine)')
    .requiredOption('--server <url>', 'the server, e.g. https://login1:7860 (kernellab serve)')
    .requiredOption('--token-file <file>', 'a file holding the sweep’s agent token (kernellab sweep submit writes one)')
    .option('--sweep <id>', 'the sweep the token must be for (a check)', positive('sweep'))
    .option('--count <n>', 'runs to take before exiting (default: until the queue is empty)', positive('count'))
    .addOption(new Option('--backend <name>', 'train with this backend when a run does not pin one').choices(BackendName.options))
    .option('--spool <dir>', 'where events wait while the server cannot be reached (default: ./kernellab-spool)')
    .option('--cache <dir>', 'datasets and run folders on this node (default: $XDG_CACHE_HOME/kernellab-agent)')
    .option('--ca <file>', 'a CA certificate (PEM) for a server with its own certificate')
    .option('--threads <n>', 'CPU threads per run (default: $SLURM_CPUS_PER_TASK, else every core)', positive('threads'))
    .option('--job <text>', 'where this runs, as the app shows it (default: from Slurm or Kubernetes)')
    .option('--patience <seconds>', 'how long to keep trying a server that does not answer (default 600)', positive('patience'))
    .option('--json', 'print what it did as JSON on stdout at the end (runs, statuses, what the protocol cost per run)')
    .action(async (flags: AgentFlags) => {
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (stop.signal.aborted) {
          write(`kernellab agent: ${signal} again: exiting now`);
          process.exit(143);
        }
        write(`kernellab agent: ${signal}: interrupting the current run and reporting it (send it again to exit at once)`);
        stop.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        const result = await runAgent({
          server: flags.server,
          tokenFile: resolve(flags.tokenFile),
          sweep: flags.sweep,
          count: flags.count,
          backend: flags.backend,
          spoolDir: resolve(flags.spool ?? 'kernellab-spool'),
          cacheDir: resolve(flags.cache ?? defaultCacheDir()),
          caFile: flags.ca,
          threads: flags.threads,
          job: flags.job,
          patienceMs: flags.patience !== undefined ? flags.patience * 1000 : undefined,
          log: write,
          signal: stop.signal,
          ...extra,
        });
        write(
          `kernellab agent: ${result.reason}; ${result.runs.length} run${result.runs.length === 1 ? '' : 's'} (${result.runs.map((r) => `${r.runId}: ${r.status ?? 'not reported'}`).join(', ') || 'none'})`,
        );
        if (flags.json) io.json(result);
        process.exitCode = result.exitCode;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
