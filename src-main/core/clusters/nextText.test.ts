/**
 * The sentences a cluster submit and cancel say, coded for the user's language (issue 17): each
 * rendered in Korean and in English, the English render equal to the core's sentence, which stays
 * as it was (scripts read it). The submitted cases need a live Slurm or Kubernetes to reach through
 * the CLI, so they are built here from the same function the launcher calls.
 */
import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { CoreText } from '../contract/coreText.ts';
import { canceledDetail, kubernetesNext, slurmNext } from './launch.ts';

/** The coded sentence in both languages, checked to cross a boundary; the English render must be the core's sentence. */
function both(said: { next: string; nextCode: CoreText }): { ko: string; en: string } {
  const code = CoreText.parse(said.nextCode);
  const en = coreTextOf(code, '', 'en');
  expect(en).toBe(said.next);
  return { ko: coreTextOf(code, '', 'ko'), en: said.next };
}

const submitted = { dryRun: false, files: ['/j/a.sbatch'], jobDir: '/j', concurrency: 8 };

describe('what a Slurm submit says next', () => {
  it('names the jobs submitted, one task or several, here or on a login node', () => {
    expect(both(slurmNext({ ...submitted, ssh: undefined, jobIds: ['41'], tasks: 1 }))).toEqual({
      en: 'Submitted job 41: 1 task, at most 1 at once. Logs in /j.',
      ko: '작업 41을(를) 제출했습니다: 태스크 1개, 한 번에 최대 1개. 로그는 /j에 있습니다.',
    });
    expect(both(slurmNext({ ...submitted, ssh: undefined, jobIds: ['41'], tasks: 12 }))).toEqual({
      en: 'Submitted job 41: 12 tasks, at most 8 at once. Logs in /j.',
      ko: '작업 41을(를) 제출했습니다: 태스크 12개, 한 번에 최대 8개. 로그는 /j에 있습니다.',
    });
    expect(both(slurmNext({ ...submitted, ssh: 'me@login1', jobIds: ['41', '42'], tasks: 150 }))).toEqual({
      en: 'Submitted jobs 41, 42 on me@login1: 150 tasks, at most 8 at once. Logs in /j.',
      ko: 'me@login1에서 작업 41, 42을(를) 제출했습니다: 태스크 150개, 한 번에 최대 8개. 로그는 /j에 있습니다.',
    });
    expect(both(slurmNext({ ...submitted, ssh: 'me@login1', jobIds: ['41'], tasks: 1 })).ko).toBe(
      'me@login1에서 작업 41을(를) 제출했습니다: 태스크 1개, 한 번에 최대 1개. 로그는 /j에 있습니다.',
    );
    expect(both(slurmNext({ ...submitted, ssh: undefined, jobIds: ['41', '42'], tasks: 2 })).en).toBe(
      'Submitted jobs 41, 42: 2 tasks, at most 2 at once. Logs in /j.',
    );
  });

  it('gives the sbatch commands to run by hand after a dry run, on the login node when there is one', () => {
    const dry = { ...submitted, dryRun: true, jobIds: [], tasks: 3, files: ['/j/a-1.sbatch', '/j/a-2.sbatch'] };
    expect(both(slurmNext({ ...dry, ssh: 'login1' }))).toEqual({
      en: "Nothing was submitted. To submit by hand on login1: sbatch '/j/a-1.sbatch' && sbatch '/j/a-2.sbatch'",
      ko: "아무것도 제출하지 않았습니다. login1에서 직접 제출하려면: sbatch '/j/a-1.sbatch' && sbatch '/j/a-2.sbatch'",
    });
  });
});

describe('what a Kubernetes submit says next', () => {
  it('names the Job created with its pods, or the kubectl command for a manifest written', () => {
    expect(
      both(kubernetesNext({ jobId: 'default/kernellab-sweep-3', file: '/k.yaml', tasks: 6, concurrency: 4, noKubeconfig: false })),
    ).toEqual({
      en: 'Created Job default/kernellab-sweep-3: 6 pods, at most 4 at once.',
      ko: '작업 default/kernellab-sweep-3을(를) 만들었습니다: 파드 6개, 한 번에 최대 4개.',
    });
    expect(both(kubernetesNext({ jobId: undefined, file: '/k.yaml', tasks: 6, concurrency: 4, noKubeconfig: true }))).toEqual({
      en: 'Written, not applied (no kubeconfig here): kubectl apply -f /k.yaml',
      ko: '파일만 쓰고 적용하지 않았습니다(이 컴퓨터에 kubeconfig가 없습니다): kubectl apply -f /k.yaml',
    });
  });
});

describe('a cluster job KernelLab cancelled', () => {
  it('says when, in both languages', () => {
    const { detail, detailText } = canceledDetail(new Date('2026-12-01T20:15:00.000Z'));
    expect(detail).toBe('cancelled from KernelLab at 2026-12-01T20:15:00.000Z');
    expect(coreTextOf(detailText, '', 'en')).toBe(detail);
    expect(coreTextOf(detailText, '', 'ko')).toBe('2026-12-01T20:15:00.000Z에 KernelLab에서 취소했습니다');
  });
});
