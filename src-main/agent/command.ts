/**
 * The `agent` command line, shared by `kernellab agent` and the single-file `kernellab-agent`
 * (main.ts). Parses the flags, turns SIGTERM/SIGINT into an orderly stop (the run is reported
 * interrupted and goes back to the queue), and exits with the agent's code.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { runAgent, sayEnglish, sayErrorEnglish, type AgentOptions, type Say, type SayError } from '../core/agents/agent.ts';
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

/**
 * What the agent command says. `kernellab agent` and the single-file `kernellab-agent` pass the
 * catalogue's texts in the user's language (texts.ts); the English defaults below serve a caller
 * without the catalogue.
 */
export interface AgentTexts {
  description: string;
  options: Record<
    'server' | 'tokenFile' | 'sweep' | 'count' | 'backend' | 'spool' | 'cache' | 'ca' | 'threads' | 'job' | 'patience' | 'json',
    string
  >;
  notPositive: (p: { name: string; value: string }) => string;
  signalAgain: (p: { signal: string }) => string;
  signal: (p: { signal: string }) => string;
  done: (p: { reason: string; runs: string }) => string;
  runsOne: (p: { list: string }) => string;
  runsMany: (p: { count: number; list: string }) => string;
  none: string;
  notReported: string;
  /** A run's status ('completed') as the last line lists it. */
  status: (status: string) => string;
  /** A coded line of the agent's (the server cannot be reached …) in this language; English: the core's sentence as it is. */
  say: Say;
  /** An error inside one of its lines (the server refused …) in this language; English: its message as it is. */
  sayError: SayError;
}

export const englishAgentTexts: AgentTexts = {
  description: 'pull runs of a sweep from a KernelLab server and train them here (a Slurm task, a pod, any machine)',
  options: {
    server: 'the server, e.g. https://login1:7860 (kernellab serve)',
    tokenFile: 'a file holding the sweep’s agent token (kernellab sweep submit writes one)',
    sweep: 'the sweep the token must be for (a check)',
    count: 'runs to take before exiting (default: until the queue is empty)',
    backend: 'train with this backend when a run does not pin one',
    spool: 'where events wait while the server cannot be reached (default: ./kernellab-spool)',
    cache: 'datasets and run folders on this node (default: $XDG_CACHE_HOME/kernellab-agent)',
    ca: 'a CA certificate (PEM) for a server with its own certificate',
    threads: 'CPU threads per run (default: $SLURM_CPUS_PER_TASK, else every core)',
    job: 'where this runs, as the app shows it (default: from Slurm or Kubernetes)',
    patience: 'how long to keep trying a server that does not answer (default 600)',
    json: 'print what it did as JSON on stdout at the end (runs, statuses, what the protocol cost per run)',
  },
  notPositive: ({ name, value }) => `--${name}: '${value}' is not a whole number of at least 1`,
  signalAgain: ({ signal }) => `kernellab agent: ${signal} again: exiting now`,
  signal: ({ signal }) => `kernellab agent: ${signal}: interrupting the current run and reporting it (send it again to exit at once)`,
  done: ({ reason, runs }) => `kernellab agent: ${reason}; ${runs}`,
  runsOne: ({ list }) => `1 run (${list})`,
  runsMany: ({ count, list }) => `${count} runs (${list})`,
  none: 'none',
  notReported: 'not reported',
  status: (status) => status,
  say: sayEnglish,
  sayError: sayErrorEnglish,
};

function positive(name: string, texts: AgentTexts) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new KernelLabError('invalid_input', texts.notPositive({ name, value }));
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
  texts: AgentTexts = englishAgentTexts,
): Command {
  const { write } = io;
  const o = texts.options;
  return command
    .description(texts.description)
    .requiredOption('--server <url>', o.server)
    .requiredOption('--token-file <file>', o.tokenFile)
    .option('--sweep <id>', o.sweep, positive('sweep', texts))
    .option('--count <n>', o.count, positive('count', texts))
    .addOption(new Option('--backend <name>', o.backend).choices(BackendName.options))
    .option('--spool <dir>', o.spool)
    .option('--cache <dir>', o.cache)
    .option('--ca <file>', o.ca)
    .option('--threads <n>', o.threads, positive('threads', texts))
    .option('--job <text>', o.job)
    .option('--patience <seconds>', o.patience, positive('patience', texts))
    .option('--json', o.json)
    .action(async (flags: AgentFlags) => {
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (stop.signal.aborted) {
          write(texts.signalAgain({ signal }));
          process.exit(143);
        }
        write(texts.signal({ signal }));
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
          say: texts.say,
          sayError: texts.sayError,
          signal: stop.signal,
          ...extra,
        });
        const list =
          result.runs.map((r) => `${r.runId}: ${r.status === null ? texts.notReported : texts.status(r.status)}`).join(', ') || texts.none;
        const runs = result.runs.length === 1 ? texts.runsOne({ list }) : texts.runsMany({ count: result.runs.length, list });
        write(texts.done({ reason: texts.say(result.reasonText, result.reason), runs }));
        // The JSON is the English record scripts read: the coded reason stays out of it.
        const { reasonText: _coded, ...record } = result;
        if (flags.json) io.json(record);
        process.exitCode = result.exitCode;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
