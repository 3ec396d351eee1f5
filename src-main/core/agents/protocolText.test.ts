/**
 * The agent protocol's own refusals in the user's language (issue 17): each reaches an agent's
 * log inside a line ("heartbeat refused: …") or a browser lending its GPU. Driven through the
 * real service (SQLite file, MNIST in the data folder) and the real file functions; the English
 * is the sentence as it always was, the Korean has no English left but names, fields and numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../../i18n/coreText.ts';
import type { AgentLease, MethodName } from '../contract/index.ts';
import type { RunRecord } from '../db/RunStore.ts';
import { KernelLabError } from '../errors.ts';
import { createService, type Service } from '../service.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { commitCheckpoint, readChunk, writeChunk } from './files.ts';
import { RunDataCache } from './RunDataCache.ts';

const agentId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const identity = (n: number) => ({ id: agentId(n), host: `node${n}`, job: '', backends: ['wasm' as const], maxRuns: null });

/** The refusal `fn` throws, said in both languages: English exactly the core's sentence. */
async function said(fn: () => unknown): Promise<{ en: string; ko: string; message: string }> {
  const error = await Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (!(error instanceof KernelLabError)) throw new Error(`not refused with a KernelLabError: ${String(error)}`);
  const body = error.toBody();
  expect(body.messageCode, error.message).toBeDefined();
  return { en: errorBodyText(body, 'en'), ko: errorBodyText(body, 'ko'), message: error.message };
}

/** Korean with the names, fields, paths and numbers taken out has no Latin letter left. */
const noEnglishLeft = (ko: string, ...names: string[]) => {
  let rest = ko;
  for (const name of names) rest = rest.split(name).join('');
  expect(rest, ko).not.toMatch(/[A-Za-z]/);
};

describe("the agent protocol's refusals", () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let token: string;
  let lease: AgentLease;
  let runId: number;
  const files = makeTempDir('kernellab-agent-protocol-text-');
  const as = <M extends MethodName>(name: M, input: unknown) => service.call(name, input, { agentToken: token });

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-agent-protocol-');
    service = createService({ dataDir: home.dir, shell: 'cli', leaseMs: 60_000 });
    const { sweepId } = await service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [3] } }), runsOn: 'agents' });
    token = (await service.call('agents.createToken', { sweepId })).secret;
    await as('agent.hello', { agent: identity(1) });
    await as('agent.hello', { agent: identity(2) });
    const job = (await as('agent.claim', { agentId: agentId(1) })).job!;
    lease = job.lease;
    runId = job.runId;
  });
  afterAll(async () => {
    await service.close();
    home.cleanup();
    files.cleanup();
  });

  it('says the calls it refuses in Korean, and in English as it always did', async () => {
    const noHello = await said(() => as('agent.claim', { agentId: agentId(9) }));
    expect(noHello.en).toBe(`agent ${agentId(9)} has not said hello with this token (agent.hello first)`);
    expect(noHello.ko).toBe(`에이전트 ${agentId(9)}은(는) 이 토큰으로 인사하지 않았습니다(먼저 agent.hello)`);
    noEnglishLeft(noHello.ko, agentId(9), 'agent.hello');

    const notClaimed = await said(() => as('agent.heartbeat', { lease: { ...lease, agentId: agentId(2) } }));
    expect(notClaimed.en).toBe(`run ${runId} (attempt 1) was not claimed by agent ${agentId(2)}`);
    expect(notClaimed.ko).toBe(`실행 ${runId}(시도 1)은(는) 에이전트 ${agentId(2)}이(가) 가져간 실행이 아닙니다`);

    const epochs = service.context.store.getRun(runId)!.hyperparameters.epochs as number;
    const past = await said(() =>
      as('agent.report', { lease, firstSeq: 1, events: [{ type: 'epoch', epoch: epochs + 1, values: { loss: 1 } }] }),
    );
    expect(past.en).toBe(`events.0.epoch: epoch ${epochs + 1} is past run ${runId}'s ${epochs} epochs`);
    expect(past.ko).toBe(`events.0.epoch: 에폭 ${epochs + 1}은(는) 실행 ${runId}의 에폭 수 ${epochs}을(를) 넘습니다`);
    noEnglishLeft(past.ko, 'events.0.epoch');

    const early = await said(() => as('agent.finish', { lease, lastSeq: 3, outcome: { kind: 'completed' } }));
    expect(early.en).toBe(`events 1…3 of run ${runId} are not recorded yet; report them before finishing`);
    expect(early.ko).toBe(`실행 ${runId}의 이벤트 1…3이(가) 아직 기록되지 않았습니다. 끝내기 전에 보고하세요`);

    const notOfSweep = await said(() =>
      as('agent.fetchFile', { target: { kind: 'dataset', dataset: 'mnist', name: 'other.bin' }, offset: 0, length: 10 }),
    );
    expect(notOfSweep.en).toBe('mnist/other.bin is not a dataset file of this sweep');
    expect(notOfSweep.ko).toBe('mnist/other.bin은(는) 이 스윕의 데이터셋 파일이 아닙니다');
  });

  it('says a file it cannot serve or an upload it refuses in Korean', async () => {
    const missing = join(files.dir, 'missing.bin');
    const unreadable = await said(() => readChunk(missing, 0, 10));
    expect(unreadable.en).toBe(`${missing} cannot be read: ENOENT`);
    expect(unreadable.ko).toBe(`${missing}을(를) 읽을 수 없습니다: ENOENT`);
    const small = join(files.dir, 'small.bin');
    writeFileSync(small, 'abc');
    expect((await said(() => readChunk(small, 12_345, 10))).ko).toBe('offset: 12,345은(는) 파일의 끝(3바이트)을 넘습니다');

    const runDir = join(files.dir, 'run');
    mkdirSync(runDir);
    const file = { name: 'w.bin', bytes: 4, sha256: 'a'.repeat(64) };
    const upload = (offset: number, data: string) => () =>
      writeChunk(runDir, { attempt: 1, kind: 'last', epoch: 1, file, offset, data: Buffer.from(data) });
    const pastFile = await said(upload(2, 'xyz'));
    expect(pastFile.en).toBe("data: the chunk at 2 runs past the file's 4 bytes");
    expect(pastFile.ko).toBe('data: 2에서 시작하는 조각이 파일의 4바이트를 넘습니다');
    const order = await said(upload(3, 'x'));
    expect(order.en).toBe('file w.bin: expected the chunk at 0, got one at 3');
    expect(order.ko).toBe('파일 w.bin: 0에서 시작하는 조각을 기다렸는데 3에서 시작하는 조각이 왔습니다');
    const digest = await said(upload(0, 'abcd'));
    expect(digest.en).toMatch(/^file w\.bin: its SHA-256 is [0-9a-f]{64}, not a{64}; upload it again$/);
    expect(digest.ko).toMatch(/^파일 w\.bin: SHA-256이 a{64}이\(가\) 아니라 [0-9a-f]{64}입니다\. 다시 올리세요$/);
    const notWhole = await said(() => commitCheckpoint(runDir, { attempt: 1, kind: 'best', epoch: 2, files: [file] }));
    expect(notWhole.en).toBe('checkpoint best of epoch 2: w.bin was not uploaded whole before the report that names it');
    expect(notWhole.ko).toBe('에폭 2의 최고 체크포인트: w.bin이(가) 그것을 알리는 보고 전에 다 올라오지 않았습니다');
    noEnglishLeft(notWhole.ko, 'w.bin');
  });

  it("says a run's images that cannot be prepared in Korean", async () => {
    const run = { ...service.context.store.getRun(runId)!, dataset: 'no such/set' } as RunRecord;
    const invalid = await said(() => new RunDataCache(join(home.dir, 'datasets')).of(run));
    expect(invalid.en).toBe(`run ${runId} has invalid hyperparameters or dataset no such/set`);
    expect(invalid.ko).toBe(`실행 ${runId}의 하이퍼파라미터 또는 데이터셋 no such/set이(가) 올바르지 않습니다`);
  });
});
