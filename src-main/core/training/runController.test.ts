import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreTextOf, storedErrorText } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { getPreset } from '../models/presets.ts';
import { forkWorker, type WorkerLauncher } from '../workerHost.ts';
import { installMnist } from './mnistFixture.ts';
import { startRun, type RunHandle } from './runController.ts';
import { TrainRequest, type TrainingMessage } from './workerProtocol.ts';

const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
let mnist: { datasetsDir: string; cleanup: () => void };
const temps: (() => void)[] = [];
beforeAll(async () => {
  mnist = await installMnist();
});
afterAll(() => {
  mnist?.cleanup();
  for (const cleanup of temps) cleanup();
});

function request(runId: number, epochs: number): TrainRequest {
  const runDir = makeTempDir('kernellab-worker-');
  temps.push(runDir.cleanup);
  const preset = getPreset('lenet5-relu');
  return TrainRequest.parse({
    type: 'train',
    runId,
    spec: preset.spec,
    hyperparameters: { ...preset.hyperparameters, epochs, backend: 'wasm', validationSplit: 0.1 },
    datasetsDir: mnist.datasetsDir,
    dataset: 'mnist',
    runDir: runDir.dir,
    subset: { trainPerClass: 200, testPerClass: 20 },
  });
}

function collect(launch: WorkerLauncher, req: TrainRequest, onMessage?: (m: TrainingMessage, run: RunHandle) => void) {
  const messages: TrainingMessage[] = [];
  const run: RunHandle = startRun(launch, entry, req, {
    onMessage: (runId, m) => {
      expect(runId).toBe(req.runId);
      messages.push(m);
      onMessage?.(m, run);
    },
  });
  return { run, messages };
}

describe('run controller with a real worker process', () => {
  it('streams a run from trainBegin to trainEnd and ends completed', async () => {
    const { run, messages } = collect(forkWorker, request(1, 1));
    expect(await run.done).toEqual({ status: 'completed', error: null, errorText: null, errorIssues: null, epochsCompleted: 1 });
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('trainBegin');
    expect(types.at(-1)).toBe('trainEnd');
    expect(types).toContain('batchEnd');
    // One epoch: its weight snapshot (weightSnapshots.ts), then best and last.
    const checkpoints = messages.flatMap((m) => (m.type === 'checkpoint' ? [`${m.kind} ${m.epoch}`] : []));
    expect(checkpoints).toEqual(['epoch 1', 'best 1', 'last 1']);
    expect(types).toContain('evaluation');
  });

  it('cancels within one batch and ends canceled', async () => {
    let canceledAt: number | null = null;
    const { run, messages } = collect(forkWorker, request(2, 3), (m, handle) => {
      if (m.type === 'batchEnd' && canceledAt === null) {
        canceledAt = m.batch;
        handle.cancel();
      }
    });
    const outcome = await run.done;
    expect(outcome.status).toBe('canceled');
    expect(messages.filter((m) => m.type === 'epochEnd')).toHaveLength(0);
    // batchEnd is throttled, so the worker may be a batch or two ahead of the message that triggered the cancel.
    const batches = messages.flatMap((m) => (m.type === 'batchEnd' ? [m.batch] : []));
    expect(Math.max(...batches) - canceledAt!).toBeLessThanOrEqual(2);
  });

  it('ends a killed worker as failed and keeps what it reported before', async () => {
    const { run, messages } = collect(forkWorker, request(3, 3), (m, handle) => {
      if (m.type === 'epochEnd' && m.epoch === 1) handle.kill();
    });
    const outcome = await run.done;
    expect(outcome.status).toBe('failed');
    expect(outcome.epochsCompleted).toBe(1);
    expect(outcome.error).toMatch(/worker exited \(code null, signal SIGKILL\) before the run ended/);
    // Stored beside the error (runs.error_code): the run view says it in Korean.
    expect(coreTextOf(outcome.errorText, outcome.error!, 'ko')).toBe('실행이 끝나기 전에 워커가 종료되었습니다(코드 null, 신호 SIGKILL)');
    expect(messages.filter((m) => m.type === 'epochEnd')).toHaveLength(1);
    expect(messages.at(-1)).toMatchObject({ type: 'error', runId: 3 });
  });

  it("fails a run pinned to a browser's GPU in words, with the worker's code beside them", async () => {
    const req = request(6, 1);
    const { run, messages } = collect(forkWorker, { ...req, hyperparameters: { ...req.hyperparameters, backend: 'webgpu' } });
    const outcome = await run.done;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe('hyperparameters.backend: webgpu trains only in a browser GPU host, not in a worker process');
    expect(outcome.errorText).toEqual({ code: 'training_backend_gpu_host_only', params: { backend: 'webgpu' } });
    expect(messages.at(-1)).toMatchObject({ type: 'error', messageCode: outcome.errorText });
    expect(coreTextOf(outcome.errorText, outcome.error!, 'ko')).toBe(
      'hyperparameters.backend: webgpu은(는) 워커 프로세스가 아니라 브라우저 GPU 호스트에서만 학습합니다',
    );
  });

  it('fails a run pinned to a backend that does not load with the reason coded, so it is said in Korean', async () => {
    const req = request(8, 1);
    // An engine folder with nothing in it: the worker's tensorflow backend cannot load from there.
    const engine = makeTempDir('kernellab-no-engine-');
    temps.push(engine.cleanup);
    const launch: WorkerLauncher = (file, args, env) => forkWorker(file, args, { ...env, KERNELLAB_TENSORFLOW_ENGINE: engine.dir });
    const { run } = collect(launch, { ...req, hyperparameters: { ...req.hyperparameters, backend: 'tensorflow' } });
    const outcome = await run.done;
    const reason = `the engine folder ${engine.dir} is missing or incomplete; install the engine again`;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(`backend tensorflow is not available: ${reason}`);
    expect(outcome.errorText).toEqual({
      code: 'training_backend_unavailable',
      params: {
        backend: 'tensorflow',
        detail: [{ sentence: reason, path: '', text: { code: 'backend_engine_folder_incomplete', params: { dir: engine.dir } } }],
      },
    });
    expect(storedErrorText(outcome.error!, outcome.errorText, outcome.errorIssues, 'ko')).toBe(
      `백엔드 tensorflow을(를) 쓸 수 없습니다: 엔진 폴더 ${engine.dir}이(가) 없거나 불완전합니다. 엔진을 다시 설치하세요`,
    );
    expect(storedErrorText(outcome.error!, outcome.errorText, outcome.errorIssues, 'en')).toBe(outcome.error);
  });

  it('fails a resume whose checkpoint state.json is not one with the problems coded beside the heading, so they are said in Korean', async () => {
    const first = request(7, 1);
    expect((await collect(forkWorker, first).run.done).status).toBe('completed');
    const state = join(first.runDir, 'checkpoints', 'last', 'state.json');
    writeFileSync(state, JSON.stringify({ ...JSON.parse(readFileSync(state, 'utf8')), globalStep: -3 }));
    const { run, messages } = collect(forkWorker, { ...first, resume: true, hyperparameters: { ...first.hyperparameters, epochs: 2 } });
    const outcome = await run.done;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(
      `checkpoint file ${state} is not a KernelLab checkpoint state: globalStep: Too small: expected number to be >=0`,
    );
    expect(outcome.errorText).toEqual({ code: 'checkpoint_state_not_state', params: { file: state } });
    expect(outcome.errorIssues).toEqual([
      {
        sentence: 'globalStep: Too small: expected number to be >=0',
        path: 'globalStep',
        text: { code: 'issue_too_small', params: { minimum: 0 } },
      },
    ]);
    expect(messages.at(-1)).toMatchObject({ type: 'error', issues: outcome.errorIssues });
    expect(storedErrorText(outcome.error!, outcome.errorText, outcome.errorIssues, 'ko')).toBe(
      `체크포인트 파일 ${state}은(는) KernelLab 체크포인트 상태가 아닙니다: globalStep: 0 이상이어야 합니다`,
    );
  });

  it('fails a run whose worker sends a message outside the protocol', async () => {
    const rogue: WorkerLauncher = (file, args, env) => {
      const handle = forkWorker(file, args, env);
      return {
        ...handle,
        pid: handle.pid,
        onMessage: (listener) =>
          handle.onMessage((m) => listener((m as { type: string }).type === 'trainBegin' ? { type: 'surprise' } : m)),
      };
    };
    const { run } = collect(rogue, request(5, 1));
    const outcome = await run.done;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('worker sent an unknown message: {"type":"surprise"}');
  });
});
