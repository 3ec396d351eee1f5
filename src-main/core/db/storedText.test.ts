/**
 * Text stored in the database in the page's language (issue 17, migration 0014): a run's error
 * and a cluster job's state detail keep their English sentence and gain its code beside it; the
 * page renders the code, and a row without one (from before, or a sentence without a code) shows
 * its sentence. Real SQLite files.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { coreText } from '../contract/coreText.ts';
import { pausedError, pausedText, settle } from '../sweeps/execution.ts';
import { leaseOf, RunStore, type NewRun } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
let store: RunStore;
let raw: ReturnType<typeof openRaw>;
beforeEach(() => {
  tmp = makeTempDir();
  store = RunStore.open(join(tmp.dir, 'k.db'));
  raw = openRaw(join(tmp.dir, 'k.db'));
});
afterEach(() => {
  raw.close();
  store.close();
  tmp.cleanup();
});

const base: NewRun = {
  name: 'cnn',
  modelSpec: { inputShape: [28, 28, 1], layers: [{ type: 'conv2d', filters: 8, kernelSize: 3 }] },
  dataset: 'mnist',
  backend: 'cpu',
  seed: 42,
  hyperparameters: { epochs: 3, optimizer: { name: 'adam', learningRate: 0.001 }, augment: false },
};

const shown = (run: { error: string | null; errorCode: Parameters<typeof coreTextOf>[0] }, locale: 'en' | 'ko') =>
  coreTextOf(run.errorCode, run.error ?? '', locale);

describe("a run's stored error in the page's language", () => {
  it('stores a paused run’s reason with its code, and a new claim clears both', () => {
    const id = store.createRun(base).id;
    const claimed = store.claimNextRunnable('here:1')!;
    expect(settle(store, leaseOf(claimed), { kind: 'interrupted', error: pausedError, errorText: pausedText })).toBeDefined();
    const run = store.getRun(id)!;
    expect(run).toMatchObject({ status: 'interrupted', error: pausedError, errorCode: { code: 'run_paused', params: {} } });
    expect(shown(run, 'ko')).toBe('일시 정지됨. 재개하면 마지막 체크포인트부터 이어서 학습합니다');
    expect(shown(run, 'en')).toBe(pausedError);
    store.requeue(id);
    store.claimNextRunnable('here:1');
    expect(store.getRun(id)).toMatchObject({ status: 'running', error: null, errorCode: null });
  });

  it('records a run whose process died as stopped, in Korean, and keeps a reason it already had', () => {
    const dead = store.createRun(base).id;
    const host = store.owner.split(':')[0]!;
    raw
      .prepare("UPDATE runs SET status = 'running', worker_owner = ?, lease_expires_at = ? WHERE id = ?")
      .run(`${host}:999999999`, Date.now() + 60_000, dead);
    store.close();
    store = RunStore.open(join(tmp.dir, 'k.db'));
    const run = store.getRun(dead)!;
    expect(run.status).toBe('interrupted');
    expect(run.errorCode).toEqual(coreText('run_stopped_while_running', {}));
    expect(shown(run, 'ko')).toBe('이 실행이 학습하는 동안 KernelLab이 멈췄습니다. 마지막 체크포인트부터 재개하세요');
  });

  it('stores no code for a sentence given without one, even over an earlier coded reason', () => {
    const id = store.createRun(base).id;
    store.claimNextRunnable('here:1');
    store.transition(id, 'interrupted', { error: pausedError, errorText: pausedText });
    expect(shown(store.getRun(id)!, 'ko')).toBe('일시 정지됨. 재개하면 마지막 체크포인트부터 이어서 학습합니다');
    store.transition(id, 'canceled', { error: 'a plain sentence' });
    const run = store.getRun(id)!;
    expect(run).toMatchObject({ error: 'a plain sentence', errorCode: null });
    expect(shown(run, 'ko')).toBe('a plain sentence');
  });

  it('shows the stored sentence for a row from before migration 0014 and for a code this core does not know', () => {
    const old = store.createRun(base).id;
    raw.prepare("UPDATE runs SET status = 'failed', error = 'an old English reason' WHERE id = ?").run(old);
    expect(shown(store.getRun(old)!, 'ko')).toBe('an old English reason');
    const newer = store.createRun(base).id;
    raw
      .prepare("UPDATE runs SET status = 'failed', error = 'a newer reason', error_code = ? WHERE id = ?")
      .run(JSON.stringify({ code: 'run_made_up_later', params: {} }), newer);
    expect(store.getRun(newer)).toMatchObject({ error: 'a newer reason', errorCode: null });
    // Parameters that do not fit the code are refused the same way.
    raw
      .prepare('UPDATE runs SET error_code = ? WHERE id = ?')
      .run(JSON.stringify({ code: 'run_worker_silent', params: { seconds: 'x' } }), newer);
    expect(store.getRun(newer)!.errorCode).toBeNull();
    // The column holds JSON only.
    expect(() => raw.prepare("UPDATE runs SET error_code = 'not json' WHERE id = ?").run(newer)).toThrow(/CHECK constraint failed/);
  });
});

describe("a refused status change in the page's language", () => {
  it('says why a finished run cannot change, in Korean, the status words as they are', () => {
    const id = store.createRun(base).id;
    store.transition(id, 'canceled');
    let refused: unknown;
    try {
      store.transition(id, 'queued');
    } catch (error) {
      refused = error;
    }
    const body = (refused as { toBody(): { message: string; messageCode?: Parameters<typeof coreTextOf>[0] } }).toBody();
    expect(body.message).toBe(`Run ${id} is canceled; it cannot become queued (from canceled it can become nothing: it is finished)`);
    expect(coreTextOf(body.messageCode, body.message, 'ko')).toBe(
      `실행 ${id}은(는) canceled 상태라 queued(으)로 바꿀 수 없습니다(끝난 실행은 바꿀 수 없습니다)`,
    );
  });
});

describe("a cluster job's state detail in the page's language", () => {
  it('stores the detail with its code, and clears the code when the cluster says something without one', () => {
    const sweepId = store.createSweep({ name: 's', spec: {}, status: 'running' }).id;
    const token = store.agents.createToken(sweepId, 'slurm').token.id;
    const job = store.clusters.addJob({
      sweepId,
      kind: 'slurm',
      settings: {},
      jobId: '41',
      tasks: 2,
      file: 'job.sbatch',
      tokenId: token,
      state: 'submitted',
      detail: 'sbatch on login1',
      detailText: coreText('cluster_job_sbatch_on', { host: 'login1' }),
    });
    expect(coreTextOf(job.detailCode, job.detail, 'ko')).toBe('login1에서 sbatch 실행');
    store.clusters.setJobState(job.id, 'running', '2 RUNNING', false, null);
    const running = store.clusters.job(job.id)!;
    expect(running).toMatchObject({ detail: '2 RUNNING', detailCode: null });
    expect(coreTextOf(running.detailCode, running.detail, 'ko')).toBe('2 RUNNING');
  });
});
