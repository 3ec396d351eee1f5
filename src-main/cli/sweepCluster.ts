/**
 * `kernellab sweep submit | cancel | jobs | token`: a sweep on a cluster. Submit writes a Slurm
 * job array (or a Kubernetes Indexed Job) whose tasks run `kernellab agent`, submits it and
 * records it with the sweep; the agents pull the sweep's runs from a running `kernellab serve`.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { BackendName } from '../core/contract/app.ts';
import type { ClusterProfileInput, SweepSpecInput } from '../core/contract/index.ts';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { print, printError, printJson } from './format.ts';
import { positiveInt } from './runFlags.ts';
import { table } from './runs.ts';
import { parseSweepSpecText } from './specFile.ts';

interface SubmitFlags {
  slurm?: boolean;
  kubernetes?: boolean;
  profile?: string;
  saveProfile?: string;
  server?: string;
  concurrency?: string;
  count?: string;
  backend?: BackendName;
  partition?: string;
  gres?: string;
  time?: string;
  account?: string;
  cpusPerTask?: string;
  mem?: string;
  ssh?: string;
  jobDir?: string;
  agentCommand?: string;
  maxArraySize?: string;
  image?: string;
  namespace?: string;
  gpus?: string;
  cpu?: string;
  memory?: string;
  writeOnly?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

const launchersHelp = `
Launchers:
  --slurm        an sbatch job array: tasks 0..N-1, at most --concurrency at once (%C), split into
                 arrays chained with afterany above --max-array-size (the cluster's MaxArraySize,
                 default 1001). Each task runs --agent-command (default kernellab-agent, the
                 single-file agent; or "node /path/bin/kernellab.js agent"), which pulls runs from
                 --server until it took --count of them or the queue is empty. Submitted with
                 sbatch here, or on a login node with --ssh user@host. State from squeue --json;
                 \`kernellab sweep cancel\` runs scancel. The app and kernellab serve re-submit a
                 small array when runs are still queued and every task ended (a task cancelled or
                 preempted), up to twice the sweep's runs in tasks.
  --kubernetes   an Indexed Job (completionMode Indexed, parallelism = --concurrency) whose pods run
                 --image, the token in a Secret; created through the Kubernetes API where a
                 kubeconfig is found, else written for \`kubectl apply -f\`. Not tested against a
                 live cluster.

  The agents reach this machine's \`kernellab serve\` at --server: HTTPS when serve binds beyond
  127.0.0.1 (--tls-cert/--tls-key), or plain HTTP through an SSH tunnel (ssh -R). The sweep's runs
  are then claimed only by agents: a token scoped to this one sweep goes to the job, revocable
  with \`kernellab call agents.revokeToken '{"id":N}'\`.

Examples:
  kernellab sweep submit sweep.yaml --slurm --server https://login1:7860 --partition gpu --gres gpu:1 \\
      --time 2:00:00 --concurrency 8 --count 4 --ssh me@login1
  kernellab sweep submit 12 --kubernetes --server https://kernellab.lab:7860 --image registry.lab/kernellab-agent:0.1 --gpus 1
  kernellab sweep submit 12 --profile lab-gpu
`;

function settingsFrom(flags: SubmitFlags, kind: 'slurm' | 'kubernetes'): Record<string, unknown> {
  const n = (name: string, value: string | undefined) => (value === undefined ? undefined : positiveInt(name, value));
  const entries: [string, unknown][] = [
    ['serverUrl', flags.server],
    ['concurrency', n('concurrency', flags.concurrency)],
    ['count', n('count', flags.count)],
    ['backend', flags.backend],
  ];
  if (kind === 'slurm')
    entries.push(
      ['partition', flags.partition],
      ['gres', flags.gres],
      ['time', flags.time],
      ['account', flags.account],
      ['cpusPerTask', n('cpus-per-task', flags.cpusPerTask)],
      ['mem', flags.mem],
      ['ssh', flags.ssh],
      ['jobDir', flags.jobDir],
      ['agentCommand', flags.agentCommand],
      ['maxArraySize', n('max-array-size', flags.maxArraySize)],
    );
  else
    entries.push(
      ['image', flags.image],
      ['namespace', flags.namespace],
      ['gpus', flags.gpus === undefined ? undefined : Number(flags.gpus)],
      ['cpu', flags.cpu],
      ['memory', flags.memory],
      ['writeOnly', flags.writeOnly],
    );
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

async function sweepIdOf(service: Service, arg: string, json: boolean): Promise<number> {
  if (/^\d+$/.test(arg)) return positiveInt('sweep', arg)!;
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (error) {
    throw new KernelLabError(
      'invalid_input',
      `<sweep>: ${arg} is neither a sweep id nor a readable spec file (${(error as NodeJS.ErrnoException).code ?? ''})`,
    );
  }
  const spec = parseSweepSpecText(text, arg) as SweepSpecInput;
  const started = await service.call('sweeps.start', { spec, runsOn: 'agents' });
  if (!json) printError(`sweep ${started.sweepId}: ${started.queued} runs queued for agents (${started.derived} derived by epoch folding)`);
  return started.sweepId;
}

export function registerSweepCluster(sweep: Command, open: () => Service): void {
  // `sweep` has flags of its own (--dry-run, --json, --backend): commander gives them to `sweep`
  // wherever they stand, so each subcommand reads them from there too.
  const shared = () => sweep.opts<{ dryRun?: boolean; json?: boolean; backend?: BackendName }>();
  sweep
    .command('submit')
    .description('send a sweep (its id, or a spec file to queue) to a Slurm cluster or Kubernetes as agent tasks')
    .argument('<sweep>', 'a sweep id, or a sweep spec file (.yaml/.json) to queue for agents')
    .option('--slurm', 'submit an sbatch job array')
    .option('--kubernetes', 'create a Kubernetes Indexed Job')
    .option('--profile <name>', 'use a saved cluster profile (clusters.saveProfile, or --save-profile)')
    .option('--save-profile <name>', 'save these settings as a profile first')
    .option('--server <url>', 'the URL agents reach this server at')
    .option('--concurrency <n>', 'tasks at once (default 4)')
    .option('--count <n>', 'runs per task before it exits (default 1)')
    .addOption(new Option('--backend <name>', 'backend for runs that do not pin one').choices(BackendName.options))
    .option('--partition <p>', 'Slurm: partition')
    .option('--gres <g>', 'Slurm: generic resources per task, e.g. gpu:1')
    .option('--time <t>', 'Slurm: time limit per task (MM, HH:MM:SS, D-HH:MM:SS); the agent gets SIGTERM 120 s before it')
    .option('--account <a>', 'Slurm: account')
    .option('--cpus-per-task <n>', 'Slurm: CPUs per task (the agent trains with that many threads)')
    .option('--mem <m>', 'Slurm: memory per node, e.g. 16G')
    .option('--ssh <dest>', 'Slurm: submit on this login node over SSH (user@host)')
    .option('--job-dir <dir>', 'Slurm: where the script, token, logs and spool go (default: the data folder, or ~/kernellab-jobs over SSH)')
    .option('--agent-command <cmd>', 'Slurm: how a node starts the agent (default kernellab-agent)')
    .option('--max-array-size <n>', "Slurm: the cluster's MaxArraySize (default 1001)")
    .option('--image <ref>', 'Kubernetes: the agent image (see Dockerfile.agent)')
    .option('--namespace <ns>', 'Kubernetes: namespace (default default)')
    .option('--gpus <n>', 'Kubernetes: nvidia.com/gpu per pod (default 0)')
    .option('--cpu <q>', 'Kubernetes: CPU request per pod (default 2)')
    .option('--memory <q>', 'Kubernetes: memory per pod (default 4Gi)')
    .option('--write-only', 'Kubernetes: write the manifest, do not apply it')
    .option('--dry-run', 'write the script or manifest, submit nothing')
    .option('--wait', 'follow the sweep until it ends')
    .option('--json', 'print JSON')
    .addHelpText('after', launchersHelp)
    .action(async (sweepArg: string, own: SubmitFlags) => {
      const flags: SubmitFlags = {
        ...own,
        dryRun: own.dryRun ?? shared().dryRun,
        json: own.json ?? shared().json,
        backend: own.backend ?? shared().backend,
      };
      const service = open();
      const json = flags.json === true;
      let profile: string | ClusterProfileInput;
      if (flags.profile) {
        if (flags.slurm || flags.kubernetes)
          throw new KernelLabError('invalid_input', '--profile already says which cluster; drop --slurm/--kubernetes');
        profile = flags.profile;
      } else {
        if (flags.slurm === flags.kubernetes)
          throw new KernelLabError('invalid_input', 'say where: --slurm or --kubernetes (or --profile NAME)');
        const kind = flags.slurm ? 'slurm' : 'kubernetes';
        profile = { name: flags.saveProfile ?? `${kind} (command line)`, kind, settings: settingsFrom(flags, kind) } as ClusterProfileInput;
        if (flags.saveProfile) await service.call('clusters.saveProfile', { profile });
      }
      const sweepId = await sweepIdOf(service, sweepArg, json);
      const submitted = await service.call('clusters.submit', { sweepId, profile, dryRun: flags.dryRun === true });
      if (json && !flags.wait) printJson({ sweepId, ...submitted });
      else if (!json) {
        print(`sweep ${sweepId}: ${submitted.next}`);
        for (const file of submitted.files) print(`  wrote ${file}`);
      }
      if (flags.wait && !flags.dryRun) {
        for (;;) {
          const progress = await service.call('sweeps.progress', { id: sweepId });
          if (!json) printError(`sweep ${sweepId}: ${progress.text}`);
          if (['completed', 'failed', 'canceled'].includes(progress.status)) {
            if (json) printJson({ sweepId, ...submitted, progress });
            if (progress.completed < progress.planned)
              throw new KernelLabError(
                'internal',
                `sweep ${sweepId}: ${progress.completed} of ${progress.planned} runs completed (${progress.status})`,
              );
            return;
          }
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    });

  sweep
    .command('cancel')
    .description('cancel a sweep: its queued and running runs, and its cluster jobs (scancel, the Kubernetes Job deleted)')
    .argument('<id>', 'sweep id')
    .option('--json', 'print JSON')
    .action(async (idArg: string, own: { json?: boolean }) => {
      const flags = { json: own.json ?? shared().json };
      const result = await open().call('sweeps.cancel', { id: positiveInt('id', idArg)! });
      if (flags.json) return printJson(result);
      print(`sweep ${idArg}: ${result.canceled} runs canceled`);
      if (result.clusterJobs) {
        if (result.clusterJobs.canceled.length > 0) print(`  cluster jobs cancelled: ${result.clusterJobs.canceled.join(', ')}`);
        for (const problem of result.clusterJobs.problems) printError(`  could not cancel ${problem}`);
      }
    });

  sweep
    .command('jobs')
    .description('cluster jobs of a sweep (or of all sweeps) and their state now')
    .argument('[id]', 'sweep id')
    .option('--json', 'print JSON')
    .action(async (idArg: string | undefined, own: { json?: boolean }) => {
      const flags = { json: own.json ?? shared().json };
      const service = open();
      const jobs = await service.call('clusters.jobs', idArg ? { sweepId: positiveInt('id', idArg)!, refresh: true } : { refresh: true });
      const agents = await service.call('agents.list', idArg ? { sweepId: positiveInt('id', idArg)! } : {});
      if (flags.json) return printJson({ jobs, agents });
      print(
        table(
          ['sweep', 'kind', 'job', 'tasks', 'state', 'detail'],
          jobs.map((j) => [j.sweepId, j.kind, j.jobId, j.tasks, j.state, j.detail]),
        ),
      );
      if (agents.length > 0)
        print(
          table(
            ['agent', 'host', 'job', 'state', 'run', 'runs'],
            agents.map((a) => [a.id.slice(0, 8), a.host, a.job, a.state, a.runId ?? '', a.runsClaimed]),
          ),
        );
    });

  sweep
    .command('token')
    .description('make an agent token for a sweep (for agents you start yourself: kernellab agent --token-file)')
    .argument('<id>', 'sweep id')
    .option('--out <file>', 'write the token to this file (mode 600) instead of printing it')
    .option('--agents-only', "stop this machine from claiming the sweep's runs: only agents train them")
    .action(async (idArg: string, flags: { out?: string; agentsOnly?: boolean }) => {
      const made = await open().call('agents.createToken', { sweepId: positiveInt('id', idArg)!, agentsOnly: flags.agentsOnly === true });
      if (flags.out) {
        const path = resolve(flags.out);
        writeFileSync(path, `${made.secret}\n`, { mode: 0o600 });
        chmodSync(path, 0o600);
        print(`token ${made.token.id} for sweep ${idArg} written to ${path}`);
      } else print(made.secret);
    });
}
