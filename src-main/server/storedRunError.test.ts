/**
 * A failed run's stored error over HTTP (issue 17, migration 0017): runs.get answers with the
 * error's code and its coded problems, which the page renders in its language; a runs export sent
 * to runs.import over HTTP keeps them. Real SQLite files and a real server on 127.0.0.1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedErrorText } from '../../i18n/coreText.ts';
import type { RunDetail } from '../core/contract/runs.ts';
import { leaseOf, RunStore } from '../core/db/RunStore.ts';
import type { KernelLabError } from '../core/errors.ts';
import { settle } from '../core/sweeps/execution.ts';
import { readCheckpointState } from '../core/training/checkpointIO.ts';
import { servedService } from '../test/servedService.ts';

const served = servedService({ tempPrefix: 'kernellab-stored-error-' });

async function call<T>(method: string, input: unknown): Promise<T> {
  const response = await fetch(`${served.server.url}api/call/${method}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { Authorization: `Bearer ${served.server.token}` },
  });
  const answer = (await response.json()) as { ok: true; result: T } | { ok: false; error: unknown };
  if (!answer.ok) throw new Error(`${method} refused: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

/** A runs export of one run whose resume was refused for its checkpoint's state.json, from another database. */
function exportOfRefusedResume(): { content: string; state: string } {
  const dir = join(served.dir, 'elsewhere', 'checkpoints', 'last');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'state.json'),
    JSON.stringify({ epochsCompleted: 1, globalStep: -3, history: [], best: null, bestEpoch: null, wait: 0 }),
  );
  let refusal: KernelLabError | undefined;
  try {
    readCheckpointState(dir);
  } catch (error) {
    refusal = error as KernelLabError;
  }
  const store = RunStore.open(join(served.dir, 'elsewhere', 'kernellab.db'));
  try {
    const id = store.createRun({
      name: 'lenet',
      modelSpec: { name: 'lenet', layers: [] },
      dataset: 'mnist',
      backend: 'wasm',
      seed: 1,
      hyperparameters: {},
    }).id;
    settle(store, leaseOf(store.claimNextRunnable('here:1')!), {
      kind: 'failed',
      error: refusal!.message,
      errorText: refusal!.text!,
      errorIssues: refusal!.problemTexts()!,
    });
    return { content: store.exportRuns({ runIds: [id] }).content, state: join(dir, 'state.json') };
  } finally {
    store.close();
  }
}

describe("a failed run's stored error over HTTP", () => {
  it('answers runs.get with the coded problems after the heading, which the page says in Korean, after a runs.import over HTTP', async () => {
    const { content, state } = exportOfRefusedResume();
    expect(await call('runs.import', { content })).toEqual({ imported: 1, skipped: 0 });
    const { rows } = await call<{ rows: { id: number }[] }>('runs.list', {});
    const run = await call<RunDetail>('runs.get', { id: rows[0]!.id });
    expect(run.errorCode).toEqual({ code: 'checkpoint_state_not_state', params: { file: state } });
    expect(run.errorIssues).toEqual([
      {
        sentence: 'globalStep: Too small: expected number to be >=0',
        path: 'globalStep',
        text: { code: 'issue_too_small', params: { minimum: 0 } },
      },
    ]);
    expect(storedErrorText(run.error!, run.errorCode, run.errorIssues, 'ko')).toBe(
      `체크포인트 파일 ${state}은(는) KernelLab 체크포인트 상태가 아닙니다: globalStep: 0 이상이어야 합니다`,
    );
  });
});
