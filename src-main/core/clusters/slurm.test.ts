import { describe, expect, it } from 'vitest';
import { SlurmSettings } from '../contract/clusters.ts';
import { arrayChunks, parseSbatchJobId, parseSqueue, sbatchArgs, sbatchScript, slurmJobState } from './slurm.ts';

const settings = SlurmSettings.parse({
  serverUrl: 'https://login1:7860/',
  partition: 'gpu',
  gres: 'gpu:1',
  time: '2:00:00',
  concurrency: 8,
  count: 4,
  cpusPerTask: 4,
  backend: 'tensorflow',
});

describe('the Slurm launcher', () => {
  it('writes one job array whose tasks run the agent, with at most C at once', async () => {
    const text = sbatchScript({
      sweepId: 7,
      sweepName: 'kernel size × epochs',
      tasks: 12,
      chunk: 0,
      chunks: 1,
      settings,
      jobDir: '/home/me/kernellab-jobs/sweep-7',
      tokenFile: '/home/me/kernellab-jobs/sweep-7/token-3',
      writtenAt: new Date('2026-01-02T03:04:05Z'),
    });
    await expect(text).toMatchFileSnapshot('./__golden__/sweep-7.sbatch');
    expect(text).toContain('#SBATCH --array=0-11%8');
    expect(text).toContain('#SBATCH --signal=B:TERM@120');
  });

  it('splits a sweep beyond MaxArraySize into arrays that each stay below it', () => {
    expect(arrayChunks(12, 1001)).toEqual([12]);
    expect(arrayChunks(2500, 1001)).toEqual([1001, 1001, 498]);
    expect(arrayChunks(1001, 1001)).toEqual([1001]);
    expect(() => arrayChunks(0, 1001)).toThrow(/tasks/);
    expect(sbatchArgs('/x/a.sbatch', '41')).toEqual(['--parsable', '--dependency=afterany:41', '/x/a.sbatch']);
  });

  it('refuses settings that would put shell syntax into the script', () => {
    expect(SlurmSettings.safeParse({ serverUrl: 'https://h/', partition: 'gpu; rm -rf ~' }).success).toBe(false);
    expect(SlurmSettings.safeParse({ serverUrl: 'https://h/', agentCommand: 'kernellab-agent $(id)' }).success).toBe(false);
    expect(SlurmSettings.safeParse({ serverUrl: "https://h/'x" }).success).toBe(false);
    expect(SlurmSettings.safeParse({ serverUrl: 'https://user:pw@h/' }).success).toBe(false);
    expect(SlurmSettings.safeParse({ serverUrl: 'https://h/', jobDir: '/tmp/$HOME' }).success).toBe(false);
  });

  it('reads job ids from sbatch and task states from squeue --json', () => {
    expect(parseSbatchJobId('1234\n')).toBe('1234');
    expect(parseSbatchJobId('1234;cluster1\n')).toBe('1234');
    expect(() => parseSbatchJobId('sbatch: error: Batch job submission failed')).toThrow(/not a job id/);
    const squeue = JSON.stringify({
      jobs: [
        { job_id: 41, array_job_id: 41, array_task_id: null, array_task_string: '3-5%2', job_state: 'PENDING' },
        { job_id: 42, array_job_id: 41, array_task_id: 0, array_task_string: '', job_state: 'RUNNING' },
        { job_id: 43, array_job_id: 41, array_task_id: 1, array_task_string: '', job_state: ['CANCELLED'] },
        { job_id: 44, array_job_id: 41, array_task_id: 2, array_task_string: '', job_state: 'COMPLETED' },
        { job_id: 50, job_state: 'COMPLETED' },
      ],
    });
    const states = parseSqueue(squeue);
    expect(Object.fromEntries(states.get('41')!)).toEqual({ PENDING: 3, RUNNING: 1, CANCELLED: 1, COMPLETED: 1 });
    expect(slurmJobState(states.get('41'), 0, 1e6)).toMatchObject({ state: 'running', liveTasks: 4, ended: false });
    expect(slurmJobState(states.get('50'), 0, 1e6)).toMatchObject({ state: 'finished', ended: true });
    expect(
      slurmJobState(
        new Map([
          ['CANCELLED', 2],
          ['COMPLETED', 1],
        ]),
        0,
        1e6,
      ),
    ).toMatchObject({ state: 'canceled', ended: true });
    expect(slurmJobState(new Map([['TIMEOUT', 1]]), 0, 1e6)).toMatchObject({ state: 'failed', ended: true });
    // Not listed: just submitted, or gone past MinJobAge (no accounting to ask).
    expect(slurmJobState(undefined, 1000, 5000)).toMatchObject({ state: 'submitted', ended: false });
    expect(slurmJobState(undefined, 0, 1e6)).toMatchObject({ state: 'finished', ended: true, detail: expect.stringContaining('slurmdbd') });
    expect(() => parseSqueue('squeue: error: unrecognized option')).toThrow(/not JSON/);
  });
});
