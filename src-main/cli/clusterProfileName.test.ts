/**
 * The name `kernellab sweep submit --slurm` gives the cluster profile it makes from its flags (no
 * --profile, no --save-profile) is made in the user's language (issue 17): it is stored with the
 * sweep's token as its label and shown as it is, so a Korean user reads "slurm (명령줄)".
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { cliPath } from '../test/servedKernellab.ts';

let home: { dir: string; cleanup: () => void };
const sweeps: number[] = [];

beforeAll(async () => {
  home = await dataDirWithMnist('kernellab-cluster-profile-name-');
  const service = createService({ dataDir: home.dir, shell: 'cli' });
  for (const name of ['ko', 'en'])
    sweeps.push((await service.call('sweeps.start', { spec: tinySweep({ name }), runsOn: 'agents' })).sweepId);
  await service.close();
}, 120_000);
afterAll(() => home.cleanup());

/** `sweep submit <id> --slurm --dry-run` in `lang`: writes the job files and the token, submits nothing. */
function submit(lang: string, sweepId: number) {
  const { KERNELLAB_LANG: _pinned, ...env } = process.env;
  const args = ['--home', home.dir, '--lang', lang, 'sweep', 'submit', String(sweepId), '--slurm', '--server', 'http://127.0.0.1:7860/'];
  return spawnSync(process.execPath, [cliPath, ...args, '--dry-run'], { encoding: 'utf8', env, timeout: 60_000 });
}

describe('kernellab sweep submit without a profile', () => {
  it("names the profile it makes in the user's language, and in English as before", async () => {
    const ko = submit('ko', sweeps[0]!);
    expect(ko.status, ko.stderr).toBe(0);
    const en = submit('en', sweeps[1]!);
    expect(en.status, en.stderr).toBe(0);
    const service = createService({ dataDir: home.dir, shell: 'cli' });
    try {
      const labels = Object.fromEntries((await service.call('agents.tokens', {})).map((t) => [t.sweepId, t.label]));
      expect(labels[sweeps[0]!]).toBe('slurm 프로필 slurm (명령줄)');
      expect(labels[sweeps[1]!]).toBe('slurm profile slurm (command line)');
    } finally {
      await service.close();
    }
  });
});
