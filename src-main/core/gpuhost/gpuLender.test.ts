/**
 * A run that fails or diverges on a browser's GPU is stored coded, as a worker process's is, so
 * the run view and the lending panel say why in the page's language. The page's lender runs here
 * against a real service (real SQLite file, real MNIST, the server's own agent.* methods); the GPU
 * Worker is replaced at its message boundary by one that answers what a real Worker sends, the
 * failure made by the core's own checkpoint reader (e2e/gpuHost.browser.spec.ts runs the real one).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreTextOf, storedErrorText } from '../../../i18n/coreText.ts';
import type { MethodName } from '../contract/index.ts';
import { KernelLabError } from '../errors.ts';
import { createService, type Service } from '../service.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { decodeCheckpointState } from '../training/checkpointCodec.ts';
import { adapterLine, type GpuAdapter } from './gpuAdapter.ts';
import { GpuHost, type GpuWorkerLike } from './gpuHost.ts';
import { lendGpu, type LenderStatus } from './gpuLender.ts';
import { gpuWorkerError } from './gpuWorkerProtocol.ts';

/** A Worker that answers a train request with `answer(runId)` (one message, or several in order), as a real one ends a run. */
function answeringWorker(answer: (runId: number) => unknown): GpuWorkerLike {
  const worker: GpuWorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage: (message) => {
      const request = message as { type?: string; runId?: number };
      if (request.type !== 'train') return;
      const answered = answer(request.runId!);
      (Array.isArray(answered) ? answered : [answered]).forEach((data, i) => setTimeout(() => worker.onmessage?.({ data }), 10 * (i + 1)));
    },
    terminate: () => undefined,
  };
  return worker;
}

/** What the core throws when the checkpoint a run resumes from has a state.json that is not one. */
function notACheckpointState(): KernelLabError {
  try {
    decodeCheckpointState(
      () => new TextEncoder().encode('{"epochsCompleted":1,"globalStep":-1,"history":[],"best":0.5,"bestEpoch":1,"wait":0}'),
      'run 1 last',
    );
  } catch (error) {
    if (error instanceof KernelLabError) return error;
    throw error;
  }
  throw new Error('decodeCheckpointState took a negative globalStep');
}

describe("a run on a browser's GPU that does not complete", () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-gpu-lender-');
    service = createService({ dataDir: home.dir, shell: 'cli', leaseMs: 60_000, trains: false });
  });
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  /** Queues one webgpu run and lends the page's GPU until that run has ended; answers its id and the page's statuses. */
  async function lend(answer: (runId: number) => unknown): Promise<{ runId: number; statuses: LenderStatus[] }> {
    const base = tinySweep().base;
    const { runId } = await service.call('runs.start', {
      run: { ...base, hyperparameters: { ...base.hyperparameters, backend: 'webgpu' } },
    });
    // A page's token and id end with its lending (agent.bye): each lending makes its own, as a page does.
    const secret = (await service.call('agents.browserGpuToken', {})).secret;
    const statuses: LenderStatus[] = [];
    const stop = new AbortController();
    await lendGpu({
      call: <M extends MethodName>(method: M, input: unknown) => service.call(method, input, { agentToken: secret }),
      host: new GpuHost(() => answeringWorker(answer)),
      agentId: randomUUID(),
      hostName: 'a test page',
      jobName: 'a test job',
      backends: ['webgpu'],
      adapters: [],
      signal: stop.signal,
      pollMs: 10,
      onStatus: (status) => {
        statuses.push(status);
        if (status.state === 'waiting') stop.abort();
      },
    });
    return { runId, statuses };
  }

  it("stores the core's coded failure with its problems, and the panel and the run say it in Korean", async () => {
    const thrown = notACheckpointState();
    const { runId, statuses } = await lend((id) => gpuWorkerError(id, thrown));
    const run = await service.call('runs.get', { id: runId });
    expect(run).toMatchObject({ status: 'failed', error: thrown.message, errorCode: thrown.text, errorIssues: thrown.problemTexts() });
    const korean = storedErrorText(run.error!, run.errorCode, run.errorIssues, 'ko');
    expect(korean).toBe(
      '체크포인트 파일 run 1 last/state.json은(는) KernelLab 체크포인트 상태가 아닙니다: globalStep: 0 이상이어야 합니다',
    );

    const failed = statuses.find((s) => s.failed)!;
    expect(failed.failed).toEqual({ runId, error: thrown.message, errorCode: thrown.text, errorIssues: thrown.problemTexts() });
    expect(storedErrorText(failed.failed!.error, failed.failed!.errorCode, failed.failed!.errorIssues, 'ko')).toBe(korean);
    // The panel's line names the status in the page's words, too.
    expect(failed.textCode).toEqual({ code: 'gpu_host_ended', params: { runId, name: run.name, runStatus: 'failed' } });
    expect(storedErrorText(failed.text, failed.textCode, null, 'ko')).toBe(`실행 ${runId} (${run.name}): 끝남 (실패)`);
    expect(storedErrorText(failed.text, failed.textCode, null, 'en')).toBe(failed.text);
    // The page names itself and its job in its own language; the server keeps both as given.
    expect((await service.call('agents.list', {})).map((agent) => [agent.host, agent.job])).toContainEqual(['a test page', 'a test job']);
  });

  it('stores the adapter the run trained on coded, so the run and the panel say it in Korean', async () => {
    // What Chromium reports here with --enable-unsafe-webgpu and no GPU, and the line the Worker makes of it (browserBackend.ts).
    const swiftShader: GpuAdapter = {
      api: 'webgpu',
      vendor: 'google',
      architecture: 'swiftshader',
      description: '',
      isFallbackAdapter: true,
    };
    const line = adapterLine(swiftShader);
    const { runId, statuses } = await lend((id) => [
      {
        type: 'trainBegin',
        runId: id,
        backend: 'webgpu',
        ...line,
        totalParams: 100,
        trainCount: 200,
        validationCount: 0,
        testCount: 50,
        epochs: 1,
        batchesPerEpoch: 4,
        startEpoch: 1,
        runtime: { threads: 1, adapter: swiftShader, fallback: null },
      },
      {
        type: 'trainEnd',
        runId: id,
        status: 'diverged',
        epochsCompleted: 0,
        bestEpoch: null,
        divergedAt: { epoch: 1, batch: 1 },
        seconds: 1,
      },
    ]);
    const run = await service.call('runs.get', { id: runId });
    expect(run.device).toBe('WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU');
    expect(run.deviceCode).toEqual(line.deviceCode);
    expect(coreTextOf(run.deviceCode, run.device!, 'en')).toBe(run.device);
    expect(coreTextOf(run.deviceCode, run.device!, 'ko')).toBe('google swiftshader의 WebGPU(소프트웨어 어댑터 SwiftShader, GPU 아님)');

    const training = statuses.find((s) => s.textCode?.code === 'gpu_host_training_on')!;
    expect(coreTextOf(training.textCode, training.text, 'ko')).toBe(
      `실행 ${runId} (${run.name}): google swiftshader의 WebGPU(소프트웨어 어댑터 SwiftShader, GPU 아님)에서 학습 중`,
    );
    expect(coreTextOf(training.textCode, training.text, 'en')).toBe(
      `run ${runId} (${run.name}): training on WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU`,
    );
  });

  it('stores a diverged run coded, in the words a worker process uses', async () => {
    const { runId } = await lend((id) => ({
      type: 'trainEnd',
      runId: id,
      status: 'diverged',
      epochsCompleted: 0,
      bestEpoch: null,
      divergedAt: { epoch: 1, batch: 3 },
      seconds: 1,
    }));
    const run = await service.call('runs.get', { id: runId });
    expect(run).toMatchObject({
      status: 'diverged',
      error: 'the loss became non-finite at epoch 1, batch 3',
      errorCode: { code: 'run_diverged_at', params: { epoch: 1, batch: 3 } },
    });
    expect(storedErrorText(run.error!, run.errorCode, run.errorIssues, 'ko')).toBe(
      '에폭 1, 배치 3에서 손실이 유한하지 않은 값이 되었습니다',
    );
  });
});
