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
import { runStatusWord, storedSentence } from './errorText.ts';
import { positiveInt } from './runFlags.ts';
import { table } from './runs.ts';
import { parseSweepSpecText } from './specFile.ts';
import { m } from '../../i18n/paraglide/messages.js';

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

/** The help after `sweep submit`'s options: the launchers in the user's language, then examples. */
const launchersHelp = (): string =>
  `${m.cli_cluster_launchers_help({ revoke: `\`kernellab call agents.revokeToken '{"id":N}'\`` })}
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
    throw new KernelLabError('invalid_input', m.cli_cluster_not_id_or_file({ arg, reason: (error as NodeJS.ErrnoException).code ?? '' }));
  }
  const spec = parseSweepSpecText(text, arg) as SweepSpecInput;
  const started = await service.call('sweeps.start', { spec, runsOn: 'agents' });
  if (!json) printError(m.cli_cluster_queued({ id: started.sweepId, queued: started.queued, derived: started.derived }));
  return started.sweepId;
}

export function registerSweepCluster(sweep: Command, open: () => Service): void {
  // `sweep` has flags of its own (--dry-run, --json, --backend): commander gives them to `sweep`
  // wherever they stand, so each subcommand reads them from there too.
  const shared = () => sweep.opts<{ dryRun?: boolean; json?: boolean; backend?: BackendName }>();
  sweep
    .command('submit')
    .description(m.cli_cluster_submit_description())
    .argument('<sweep>', m.cli_cluster_argument_sweep())
    .option('--slurm', m.cli_cluster_option_slurm())
    .option('--kubernetes', m.cli_cluster_option_kubernetes())
    .option('--profile <name>', m.cli_cluster_option_profile())
    .option('--save-profile <name>', m.cli_cluster_option_save_profile())
    .option('--server <url>', m.cli_cluster_option_server())
    .option('--concurrency <n>', m.cli_cluster_option_concurrency())
    .option('--count <n>', m.cli_cluster_option_count())
    .addOption(new Option('--backend <name>', m.cli_cluster_option_backend()).choices(BackendName.options))
    .option('--partition <p>', m.cli_cluster_option_partition())
    .option('--gres <g>', m.cli_cluster_option_gres())
    .option('--time <t>', m.cli_cluster_option_time())
    .option('--account <a>', m.cli_cluster_option_account())
    .option('--cpus-per-task <n>', m.cli_cluster_option_cpus_per_task())
    .option('--mem <m>', m.cli_cluster_option_mem())
    .option('--ssh <dest>', m.cli_cluster_option_ssh())
    .option('--job-dir <dir>', m.cli_cluster_option_job_dir())
    .option('--agent-command <cmd>', m.cli_cluster_option_agent_command())
    .option('--max-array-size <n>', m.cli_cluster_option_max_array_size())
    .option('--image <ref>', m.cli_cluster_option_image())
    .option('--namespace <ns>', m.cli_cluster_option_namespace())
    .option('--gpus <n>', m.cli_cluster_option_gpus())
    .option('--cpu <q>', m.cli_cluster_option_cpu())
    .option('--memory <q>', m.cli_cluster_option_memory())
    .option('--write-only', m.cli_cluster_option_write_only())
    .option('--dry-run', m.cli_cluster_option_dry_run())
    .option('--wait', m.cli_cluster_option_wait())
    .option('--json', m.cli_option_json())
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
      let kind: string | undefined;
      if (flags.profile) {
        if (flags.slurm || flags.kubernetes) throw new KernelLabError('invalid_input', m.cli_cluster_profile_and_kind());
        profile = flags.profile;
        kind = (await service.call('clusters.profiles', {})).find((p) => p.name === flags.profile)?.kind;
      } else {
        if (flags.slurm === flags.kubernetes) throw new KernelLabError('invalid_input', m.cli_cluster_say_where());
        const flagKind = flags.slurm ? 'slurm' : 'kubernetes';
        kind = flagKind;
        // A name the app makes is stored and shown as it is (the sweep's token is labelled with it): made in the user's language.
        const name = flags.saveProfile ?? m.cli_cluster_profile_default_name({ kind: flagKind });
        profile = { name, kind: flagKind, settings: settingsFrom(flags, flagKind) } as ClusterProfileInput;
        if (flags.saveProfile) await service.call('clusters.saveProfile', { profile });
      }
      const sweepId = await sweepIdOf(service, sweepArg, json);
      // The sweep's token is labelled as the agents tables show it, in the user's language (a saved profile not found is refused by submit).
      const profileName = typeof profile === 'string' ? profile : profile.name;
      const tokenLabel = kind === undefined ? undefined : m.cluster_token_label({ kind, name: profileName });
      const submitted = await service.call('clusters.submit', { sweepId, profile, dryRun: flags.dryRun === true, tokenLabel });
      if (json && !flags.wait) printJson({ sweepId, ...submitted });
      else if (!json) {
        print(m.cli_sweep_line({ id: sweepId, text: storedSentence(submitted.nextCode, submitted.next) }));
        for (const file of submitted.files) print(m.cli_cluster_wrote({ file }));
      }
      if (flags.wait && !flags.dryRun) {
        for (;;) {
          const progress = await service.call('sweeps.progress', { id: sweepId });
          if (!json) printError(m.cli_sweep_line({ id: sweepId, text: storedSentence(progress.textCode, progress.text) }));
          if (['completed', 'failed', 'canceled'].includes(progress.status)) {
            if (json) printJson({ sweepId, ...submitted, progress });
            if (progress.completed < progress.planned)
              throw new KernelLabError(
                'internal',
                m.cli_cluster_incomplete({
                  id: sweepId,
                  completed: progress.completed,
                  planned: progress.planned,
                  status: runStatusWord(progress.status),
                }),
              );
            return;
          }
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    });

  sweep
    .command('cancel')
    .description(m.cli_cluster_cancel_description())
    .argument('<id>', m.cli_cluster_argument_id())
    .option('--json', m.cli_option_json())
    .action(async (idArg: string, own: { json?: boolean }) => {
      const flags = { json: own.json ?? shared().json };
      const result = await open().call('sweeps.cancel', { id: positiveInt('id', idArg)! });
      if (flags.json) return printJson(result);
      print(m.cli_cluster_canceled({ id: idArg, count: result.canceled }));
      if (result.clusterJobs) {
        if (result.clusterJobs.canceled.length > 0) print(m.cli_cluster_jobs_canceled({ jobs: result.clusterJobs.canceled.join(', ') }));
        const { problems, problemCodes } = result.clusterJobs;
        for (const [i, problem] of problems.entries())
          printError(m.cli_cluster_could_not_cancel({ problem: storedSentence(problemCodes?.[i], problem) }));
      }
    });

  sweep
    .command('jobs')
    .description(m.cli_cluster_jobs_description())
    .argument('[id]', m.cli_cluster_argument_id())
    .option('--json', m.cli_option_json())
    .action(async (idArg: string | undefined, own: { json?: boolean }) => {
      const flags = { json: own.json ?? shared().json };
      const service = open();
      const jobs = await service.call('clusters.jobs', idArg ? { sweepId: positiveInt('id', idArg)!, refresh: true } : { refresh: true });
      const agents = await service.call('agents.list', idArg ? { sweepId: positiveInt('id', idArg)! } : {});
      if (flags.json) return printJson({ jobs, agents });
      print(
        table(
          [
            m.cli_cluster_header_sweep(),
            m.cli_cluster_header_kind(),
            m.cli_cluster_header_job(),
            m.cli_cluster_header_tasks(),
            m.cli_cluster_header_state(),
            m.cli_cluster_header_detail(),
          ],
          jobs.map((j) => [j.sweepId, j.kind, j.jobId, j.tasks, j.state, storedSentence(j.detailCode, j.detail)]),
        ),
      );
      if (agents.length > 0)
        print(
          table(
            [
              m.cli_cluster_header_agent(),
              m.cli_cluster_header_host(),
              m.cli_cluster_header_job(),
              m.cli_cluster_header_state(),
              m.cli_cluster_header_run(),
              m.cli_cluster_header_runs(),
            ],
            agents.map((a) => [a.id.slice(0, 8), a.host, a.job, a.state, a.runId ?? '', a.runsClaimed]),
          ),
        );
    });

  sweep
    .command('token')
    .description(m.cli_cluster_token_description())
    .argument('<id>', m.cli_cluster_argument_id())
    .option('--out <file>', m.cli_cluster_option_out())
    .option('--agents-only', m.cli_cluster_option_agents_only())
    .action(async (idArg: string, flags: { out?: string; agentsOnly?: boolean }) => {
      const sweepId = positiveInt('id', idArg)!;
      // The token's label is a name the agents tables show as stored: made in the user's language.
      const label = m.cli_cluster_token_sweep_label({ id: sweepId });
      const made = await open().call('agents.createToken', { sweepId, label, agentsOnly: flags.agentsOnly === true });
      if (flags.out) {
        const path = resolve(flags.out);
        writeFileSync(path, `${made.secret}\n`, { mode: 0o600 });
        chmodSync(path, 0o600);
        print(m.cli_cluster_token_written({ token: made.token.id, id: idArg, path }));
      } else print(made.secret);
    });
}
