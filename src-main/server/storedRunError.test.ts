/**
 * A failed run's stored error over HTTP (issue 17, migration 0017): runs.get answers with the
 * error's code and its coded problems, which the page renders in its language; a runs export sent
 * to runs.import over HTTP keeps them. Real SQLite files and a real server on 127.0.0.1.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedErrorText } from '../../i18n/coreText.ts';
import type { RunDetail } from '../core/contract/runs.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { storeRefusedResume } from '../test/refusedResume.ts';
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
  const database = join(served.dir, 'elsewhere', 'kernellab.db');
  const { id, state } = storeRefusedResume(database, join(served.dir, 'elsewhere', 'checkpoints', 'last'));
  const store = RunStore.open(database);
  try {
    return { content: store.exportRuns({ runIds: [id] }).content, state };
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
