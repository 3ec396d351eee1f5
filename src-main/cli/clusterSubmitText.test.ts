/**
 * `kernellab sweep submit` and `sweep cancel` say what happened in the user's language (issue 17):
 * the `next` sentence after a submit (the sbatch or kubectl command to run by hand, the jobs
 * submitted), the token's label the agents tables show, a cluster job that could not be cancelled
 * and the detail of one KernelLab cancelled. English stays byte-identical: scripts read it.
 * Everything runs the real CLI over a real data folder; a cancel fails for real (ssh to a host
 * under .invalid, which never resolves).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canceledDetail } from '../core/clusters/launch.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { createService } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { recordUnreachableSlurmJob } from '../test/unreachableSlurmJob.ts';

let home: { dir: string; cleanup: () => void };
/** Sweeps queued for agents: a Slurm one, a Kubernetes one, one per language to cancel, one with a saved profile. */
const sweep: Record<string, number> = {};
const hangul = /[\uac00-\ud7a3]/;

beforeAll(async () => {
  home = await dataDirWithMnist('kernellab-cluster-text-');
  const service = createService({ dataDir: home.dir, shell: 'cli' });
  for (const name of ['slurm', 'kubernetes', 'cancel-ko', 'cancel-en', 'profile'])
    sweep[name] = (await service.call('sweeps.start', { spec: tinySweep({ name }), runsOn: 'agents' })).sweepId;
  await service.call('clusters.saveProfile', {
    profile: { name: 'lab', kind: 'slurm', settings: { serverUrl: 'http://127.0.0.1:7860/' } },
  });
  await service.close();
  // Jobs sent earlier through a login node this machine cannot reach: cancelling them fails.
  const store = RunStore.open(join(home.dir, 'kernellab.db'));
  try {
    for (const name of ['cancel-ko', 'cancel-en']) {
      const sweepId = sweep[name]!;
      recordUnreachableSlurmJob(store, sweepId, String(4200 + sweepId));
    }
  } finally {
    store.close();
  }
}, 120_000);
afterAll(() => home?.cleanup());

function kernellab(lang: string, args: string[], env: Record<string, string> = {}) {
  const { KERNELLAB_LANG: _pinned, KUBECONFIG: _kube, ...rest } = process.env;
  return spawnSync(process.execPath, [cliPath, '--home', home.dir, '--lang', lang, ...args], {
    encoding: 'utf8',
    env: { ...rest, ...env },
    timeout: 60_000,
  });
}

/** The file a submit says it wrote, from its `wrote` lines ('  wrote <file>', '  <file>을(를) 썼습니다'). */
function written(stdout: string, ending: string): string {
  const file = stdout
    .split('\n')
    .map((line) => /^ {2}(?:wrote )?(\/\S+?)(?:을\(를\) 썼습니다)?$/.exec(line)?.[1])
    .find((f) => f?.endsWith(ending));
  expect(file, stdout).toBeDefined();
  expect(existsSync(file!)).toBe(true);
  return file!;
}

const tokenLabels = async (): Promise<string[]> => {
  const service = createService({ dataDir: home.dir, shell: 'cli' });
  try {
    return (await service.call('agents.tokens', {})).map((t) => t.label);
  } finally {
    await service.close();
  }
};

describe("kernellab sweep submit's next step in the user's language", () => {
  const slurm = (id: number) => ['sweep', 'submit', String(id), '--slurm', '--server', 'http://127.0.0.1:7860/', '--dry-run'];

  it('says the sbatch command to run by hand after a Slurm dry run, the command as it is', () => {
    const id = sweep.slurm!;
    const ko = kernellab('ko', slurm(id));
    expect(ko.status, ko.stderr).toBe(0);
    const koFile = written(ko.stdout, '.sbatch');
    expect(ko.stdout.split('\n')[0]).toBe(`스윕 ${id}: 아무것도 제출하지 않았습니다. 직접 제출하려면: sbatch '${koFile}'`);
    const en = kernellab('en', slurm(id));
    expect(en.status, en.stderr).toBe(0);
    const enFile = written(en.stdout, '.sbatch');
    expect(en.stdout.split('\n')[0]).toBe(`sweep ${id}: Nothing was submitted. To submit by hand: sbatch '${enFile}'`);
  });

  it('says the kubectl command for a manifest written, not applied, and why when there was no kubeconfig', () => {
    const id = String(sweep.kubernetes);
    const k8s = ['sweep', 'submit', id, '--kubernetes', '--server', 'http://127.0.0.1:7860/', '--image', 'registry.lab/agent:0.1'];
    const koDry = kernellab('ko', [...k8s, '--dry-run']);
    expect(koDry.status, koDry.stderr).toBe(0);
    expect(koDry.stdout.split('\n')[0]).toBe(
      `스윕 ${id}: 파일만 쓰고 적용하지 않았습니다: kubectl apply -f ${written(koDry.stdout, '.yaml')}`,
    );
    const enDry = kernellab('en', [...k8s, '--dry-run']);
    expect(enDry.stdout.split('\n')[0]).toBe(`sweep ${id}: Written, not applied: kubectl apply -f ${written(enDry.stdout, '.yaml')}`);

    // A kubeconfig that names no cluster: the manifest is written and not applied, and the user is told why.
    const kubeconfig = join(home.dir, 'empty-kubeconfig.yaml');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const ko = kernellab('ko', k8s, { KUBECONFIG: kubeconfig });
    expect(ko.status, ko.stderr).toBe(0);
    expect(ko.stdout.split('\n')[0]).toBe(
      `스윕 ${id}: 파일만 쓰고 적용하지 않았습니다(이 컴퓨터에 kubeconfig가 없습니다): kubectl apply -f ${written(ko.stdout, '.yaml')}`,
    );
    const en = kernellab('en', k8s, { KUBECONFIG: kubeconfig });
    expect(en.status, en.stderr).toBe(0);
    expect(en.stdout.split('\n')[0]).toBe(
      `sweep ${id}: Written, not applied (no kubeconfig here): kubectl apply -f ${written(en.stdout, '.yaml')}`,
    );
  });

  it("labels the sweep's agent token in the user's language, a saved profile's too", async () => {
    const id = String(sweep.profile);
    for (const lang of ['ko', 'en']) {
      const done = kernellab(lang, ['sweep', 'submit', id, '--profile', 'lab', '--dry-run']);
      expect(done.status, done.stderr).toBe(0);
    }
    const labels = await tokenLabels();
    expect(labels).toContain('slurm 프로필 lab');
    expect(labels).toContain('slurm profile lab');
  });

  it("labels a token kernellab sweep token makes in the user's language", async () => {
    const id = sweep.profile!;
    for (const lang of ['ko', 'en']) {
      const made = kernellab(lang, ['sweep', 'token', String(id), '--out', join(home.dir, `token-${lang}`)]);
      expect(made.status, made.stderr).toBe(0);
    }
    const labels = await tokenLabels();
    expect(labels).toContain(`스윕 ${id}`);
    expect(labels).toContain(`sweep ${id}`);
  });
});

describe("kernellab sweep cancel and sweep jobs in the user's language", () => {
  it("says which cluster job could not be cancelled and why, the command's own words as they are", () => {
    const ko = kernellab('ko', ['sweep', 'cancel', String(sweep['cancel-ko'])]);
    expect(ko.status, ko.stderr).toBe(0);
    const koJob = 4200 + sweep['cancel-ko']!;
    expect(ko.stderr).toMatch(
      new RegExp(
        `^ {2}취소하지 못함: slurm 작업 ${koJob}: ssh -o BatchMode=yes [^\\n]*? 실패\\(종료 코드 255\\): ssh: Could not resolve hostname login\\.kernellab-test\\.invalid`,
        'm',
      ),
    );
    const en = kernellab('en', ['sweep', 'cancel', String(sweep['cancel-en'])]);
    expect(en.status, en.stderr).toBe(0);
    const enJob = 4200 + sweep['cancel-en']!;
    expect(en.stderr).toMatch(
      new RegExp(
        `^ {2}could not cancel slurm job ${enJob}: ssh -o BatchMode=yes [^\\n]*? failed \\(exit 255\\): ssh: Could not resolve hostname login\\.kernellab-test\\.invalid`,
        'm',
      ),
    );
  });

  it("shows a job KernelLab cancelled with its detail in the user's language", async () => {
    const store = RunStore.open(join(home.dir, 'kernellab.db'));
    const when = new Date('2026-12-01T20:15:00.000Z');
    try {
      // What cancelClusterJobs records once scancel succeeded.
      const job = store.clusters.jobs({ sweepId: sweep['cancel-ko']! })[0]!;
      const { detail, detailText } = canceledDetail(when);
      store.clusters.setJobState(job.id, 'canceled', detail, true, detailText);
    } finally {
      store.close();
    }
    const ko = kernellab('ko', ['sweep', 'jobs', String(sweep['cancel-ko'])]);
    expect(ko.status, ko.stderr).toBe(0);
    expect(ko.stdout).toContain('2026-12-01T20:15:00.000Z에 KernelLab에서 취소했습니다');
    expect(ko.stdout).not.toContain('cancelled from');
    const en = kernellab('en', ['sweep', 'jobs', String(sweep['cancel-ko'])]);
    expect(en.stdout).toContain('cancelled from KernelLab at 2026-12-01T20:15:00.000Z');
    expect(ko.stdout).toMatch(hangul);
  });
});
