/**
 * Text stored in the database in the page's language (issue 17, migration 0014): a run's error
 * and a cluster job's state detail keep their English sentence and gain its code beside it; the
 * page renders the code, and a row without one (from before, or a sentence without a code) shows
 * its sentence. Real SQLite files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf, storedErrorText } from '../../../i18n/coreText.ts';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { coreText } from '../contract/coreText.ts';
import type { KernelLabError } from '../errors.ts';
import { readCheckpointState } from '../training/checkpointIO.ts';
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

describe("a failed run's stored problems in the page's language (migration 0017)", () => {
  /** The refusal a resume meets when its checkpoint's state.json is not one: a heading and its problems, each coded. */
  function badStateRefusal(): KernelLabError {
    const dir = join(tmp.dir, 'run', 'checkpoints', 'last');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ epochsCompleted: -1, history: [], best: null, bestEpoch: null, wait: 0 }));
    try {
      readCheckpointState(dir);
    } catch (error) {
      return error as KernelLabError;
    }
    throw new Error('the state was read');
  }

  it('keeps the problems of a resume refused for its state.json, says them in Korean, and an export/import round trip keeps them', async () => {
    const refusal = badStateRefusal();
    const id = store.createRun(base).id;
    const claimed = store.claimNextRunnable('here:1')!;
    const problems = refusal.problemTexts()!;
    settle(store, leaseOf(claimed), { kind: 'failed', error: refusal.message, errorText: refusal.text!, errorIssues: problems });
    const run = store.getRun(id)!;
    expect(run.errorIssues).toEqual(problems);
    expect(problems.map((p) => p.text?.code)).toEqual(['issue_too_small', 'issue_required']);
    const korean = storedErrorText(run.error!, run.errorCode, run.errorIssues, 'ko');
    // Before, the Korean page showed the heading alone: its problems were only inside the English sentence.
    expect(korean).toBe(
      `체크포인트 파일 ${join(tmp.dir, 'run', 'checkpoints', 'last', 'state.json')}은(는) KernelLab 체크포인트 상태가 아닙니다: epochsCompleted: 0 이상이어야 합니다; globalStep: 필수 항목입니다 (number)`,
    );

    // The runs export carries them; an import into another database shows the same Korean.
    const exported = store.exportRuns({ runIds: [id] });
    const other = RunStore.open(join(tmp.dir, 'other.db'));
    try {
      await other.importRuns(exported.content);
      const imported = other.getRun(other.listRuns({}).rows[0]!.id)!;
      expect(imported).toMatchObject({ status: 'failed', error: run.error, errorCode: run.errorCode, errorIssues: problems });
      expect(storedErrorText(imported.error!, imported.errorCode, imported.errorIssues, 'ko')).toBe(korean);
    } finally {
      other.close();
    }
  });

  it('imports an export from before the codes (no errorCode, no errorIssues), and one whose codes this core does not know, with the English', async () => {
    const refusal = badStateRefusal();
    const id = store.createRun(base).id;
    settle(store, leaseOf(store.claimNextRunnable('here:1')!), {
      kind: 'failed',
      error: refusal.message,
      errorText: refusal.text!,
      errorIssues: refusal.problemTexts()!,
    });
    const file = JSON.parse(store.exportRuns({ runIds: [id] }).content) as { runs: Record<string, unknown>[] };
    const older = structuredClone(file);
    delete older.runs[0]!.errorCode;
    delete older.runs[0]!.errorIssues;
    const newer = structuredClone(file);
    newer.runs[0]!.uuid = '00000000-0000-4000-8000-0000000000aa';
    newer.runs[0]!.errorCode = { code: 'checkpoint_made_up_later', params: {} };
    newer.runs[0]!.errorIssues = [{ sentence: 'x', path: 'y', text: { code: 'issue_made_up_later', params: {} } }];
    const other = RunStore.open(join(tmp.dir, 'other.db'));
    try {
      expect(await other.importRuns(JSON.stringify(older))).toEqual({ imported: 1, skipped: 0 });
      expect(await other.importRuns(JSON.stringify(newer))).toEqual({ imported: 1, skipped: 0 });
      for (const row of other.listRuns({}).rows) {
        const imported = other.getRun(row.id)!;
        expect(imported).toMatchObject({ error: refusal.message, errorCode: null, errorIssues: null });
        expect(storedErrorText(imported.error!, imported.errorCode, imported.errorIssues, 'ko')).toBe(refusal.message);
      }
    } finally {
      other.close();
    }
  });

  it('clears the problems when the run is claimed again, and stores none for an error without them', () => {
    const refusal = badStateRefusal();
    const id = store.createRun(base).id;
    settle(store, leaseOf(store.claimNextRunnable('here:1')!), {
      kind: 'failed',
      error: refusal.message,
      errorText: refusal.text!,
      errorIssues: refusal.problemTexts()!,
    });
    raw.prepare("UPDATE runs SET status = 'queued' WHERE id = ?").run(id);
    store.claimNextRunnable('here:1');
    expect(store.getRun(id)).toMatchObject({ error: null, errorCode: null, errorIssues: null });
    store.transition(id, 'failed', { error: 'a plain sentence' });
    expect(store.getRun(id)).toMatchObject({ error: 'a plain sentence', errorIssues: null });
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

describe("a run's recorded device in the page's language (migration 0018)", () => {
  const device = 'AMD EPYC (2 threads), SIMD on, 2 threads';
  const deviceCode = coreText('backend_wasm_runs_simd', { cpu: 'AMD EPYC', threads: 2, used: 2 });
  const korean = 'AMD EPYC (스레드 2개), SIMD 켜짐, 스레드 2개 사용';

  it('stores the device line with its code, and a start that sends no code leaves none from before', () => {
    const id = store.createRun(base).id;
    const lease = leaseOf(store.claimNextRunnable('here:1')!);
    store.setDevice(id, 'wasm', device, { threads: 2 }, { lease }, deviceCode);
    const run = store.getRun(id)!;
    expect(run).toMatchObject({ device, deviceCode });
    expect(coreTextOf(run.deviceCode, run.device, 'ko')).toBe(korean);
    expect(coreTextOf(run.deviceCode, run.device, 'en')).toBe(device);
    store.setDevice(id, 'webgpu', 'Apple M2 (webgpu)', undefined, { lease });
    expect(store.getRun(id)).toMatchObject({ device: 'Apple M2 (webgpu)', deviceCode: null });
  });

  it('keeps the code through an export and import; an export from before, or with a code this core does not know, shows the English', async () => {
    const id = store.createRun(base).id;
    const lease = leaseOf(store.claimNextRunnable('here:1')!);
    store.setDevice(id, 'wasm', device, { threads: 2 }, { lease }, deviceCode);
    settle(store, lease, { kind: 'completed' });
    const file = JSON.parse(store.exportRuns({ runIds: [id] }).content) as { runs: Record<string, unknown>[] };
    expect(file.runs[0]).toMatchObject({ device, deviceCode });
    const older = structuredClone(file);
    older.runs[0]!.uuid = '00000000-0000-4000-8000-0000000000ab';
    delete older.runs[0]!.deviceCode;
    const newer = structuredClone(file);
    newer.runs[0]!.uuid = '00000000-0000-4000-8000-0000000000ac';
    newer.runs[0]!.deviceCode = { code: 'backend_made_up_later', params: {} };
    const other = RunStore.open(join(tmp.dir, 'other.db'));
    try {
      for (const content of [file, older, newer])
        expect(await other.importRuns(JSON.stringify(content))).toEqual({ imported: 1, skipped: 0 });
      const shownIn = (uuid: unknown) => {
        const run = other.getRun(other.listRuns({}).rows.find((r) => r.uuid === uuid)!.id)!;
        return [coreTextOf(run.deviceCode, run.device, 'ko'), run.deviceCode === null];
      };
      expect(shownIn(file.runs[0]!.uuid)).toEqual([korean, false]);
      expect(shownIn(older.runs[0]!.uuid)).toEqual([device, true]);
      expect(shownIn(newer.runs[0]!.uuid)).toEqual([device, true]);
    } finally {
      other.close();
    }
  });
});
