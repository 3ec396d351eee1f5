import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { invalidInput } from '../errors.ts';
import { Hyperparameters } from '../contract/training.ts';
import { GpuHost, type GpuWorkerLike } from './gpuHost.ts';
import { gpuWorkerError, type GpuTrainRequest } from './gpuWorkerProtocol.ts';

/** A Worker that answers nothing (a training step hung on a GPU that stopped answering), or sends `talk` messages. */
function silentWorker(talk: { every: number; count: number } | null = null) {
  let terminated = false;
  const worker: GpuWorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage: (message) => {
      if (!talk || (message as { type?: string }).type !== 'train') return;
      let sent = 0;
      const timer = setInterval(() => {
        if (terminated) return clearInterval(timer);
        sent++;
        const data =
          sent < talk.count
            ? {
                type: 'batchEnd',
                runId: 1,
                epoch: 1,
                epochs: 1,
                batch: sent,
                batchesPerEpoch: talk.count,
                loss: 1,
                accuracy: 0.5,
                samplesPerSec: 10,
              }
            : { type: 'trainEnd', runId: 1, status: 'completed', epochsCompleted: 1, bestEpoch: 1, divergedAt: null, seconds: 1 };
        if (sent >= talk.count) clearInterval(timer);
        worker.onmessage?.({ data });
      }, talk.every);
    },
    terminate: () => {
      terminated = true;
    },
  };
  return { worker, terminated: () => terminated };
}

// The host never reads the request: the Worker parses it.
const request = { type: 'train', runId: 1 } as unknown as GpuTrainRequest;

describe('GpuHost stall watchdog', () => {
  it('fails a run whose Worker sends nothing for stallMs, and terminates that Worker', async () => {
    const silent = silentWorker();
    const host = new GpuHost(() => silent.worker, { stallMs: 100 });
    const started = Date.now();
    const outcome = await host.start(request, () => undefined).done;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(
      "the GPU host's Worker sent nothing for 0.1 s: a training step hung (the GPU stopped answering without an error)",
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(silent.terminated()).toBe(true);
    // Coded, so the run says it in the page's language.
    expect(outcome.status === 'failed' && outcome.errorText).toEqual({ code: 'gpu_failure_stalled', params: { seconds: 0.1 } });
    if (outcome.status !== 'failed') return;
    expect(coreTextOf(outcome.errorText, outcome.error, 'en')).toBe(outcome.error);
    expect(coreTextOf(outcome.errorText, outcome.error, 'ko')).toBe(
      'GPU 호스트의 Worker가 0.1초 동안 아무것도 보내지 않았습니다. 학습 단계가 멈췄습니다(GPU가 오류 없이 응답을 멈춤)',
    );
  });

  it('a Worker that keeps sending progress is not failed, even when the run outlasts stallMs', async () => {
    const talking = silentWorker({ every: 100, count: 15 });
    const host = new GpuHost(() => talking.worker, { stallMs: 600 });
    const outcome = await host.start(request, () => undefined).done;
    expect(outcome).toEqual({ status: 'completed', error: null, epochsCompleted: 1 });
  });

  it('refuses a stallMs that is not a bounded whole number of milliseconds', () => {
    for (const stallMs of [0, -1, 1.5, Number.NaN, 25 * 3600 * 1000])
      expect(() => new GpuHost(() => silentWorker().worker, { stallMs })).toThrow(/^stallMs must be a whole number of milliseconds/);
  });
});

describe("GpuHost and a Worker's failure", () => {
  /** A Worker that answers the train request with one message, or dies. */
  function answering(answer: unknown | 'die') {
    const worker: GpuWorkerLike = {
      onmessage: null,
      onerror: null,
      postMessage: () =>
        setTimeout(
          () => (answer === 'die' ? worker.onerror?.({ message: 'Uncaught RangeError' }) : worker.onmessage?.({ data: answer })),
          1,
        ),
      terminate: () => undefined,
    };
    return worker;
  }
  const outcomeOf = async (answer: unknown) => await new GpuHost(() => answering(answer)).start(request, () => undefined).done;

  it("keeps the core's coded error and its problems, as a worker process's run keeps them", async () => {
    const refused = Hyperparameters.safeParse({ epochs: 0, batchSize: 32, learningRate: 0.01 });
    expect(refused.success).toBe(false);
    const error = invalidInput('hyperparameters', refused.error!);
    expect(error.problemTexts()).toHaveLength(1);
    const outcome = await outcomeOf(gpuWorkerError(1, error));
    expect(outcome).toEqual({
      status: 'failed',
      error: error.message,
      errorText: error.text,
      errorIssues: error.problemTexts(),
      epochsCompleted: 0,
    });
    // A plain error (tfjs' own words) has no coded form.
    expect(await outcomeOf(gpuWorkerError(1, new Error('tfjs: bad shape')))).toEqual({
      status: 'failed',
      error: 'tfjs: bad shape',
      epochsCompleted: 0,
    });
  });

  it("codes the host's own failures: a Worker that died or sent what it must not", async () => {
    expect(await outcomeOf('die')).toEqual({
      status: 'failed',
      error: "the GPU host's Worker died: Uncaught RangeError",
      errorText: { code: 'gpu_failure_worker_died', params: { reason: 'Uncaught RangeError' } },
      epochsCompleted: 0,
    });
    const odd = await outcomeOf({ type: 'gossip' });
    expect(odd).toMatchObject({ status: 'failed', errorText: { code: 'gpu_failure_unknown_message' } });
    if (odd.status !== 'failed') return;
    expect(coreTextOf(odd.errorText, odd.error, 'en')).toBe(odd.error);
    expect(coreTextOf(odd.errorText, odd.error, 'ko')).toMatch(/^GPU 호스트의 Worker가 알 수 없는 메시지를 보냈습니다: /);
  });
});
