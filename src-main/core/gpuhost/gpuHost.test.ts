import { describe, expect, it } from 'vitest';
import { GpuHost, type GpuWorkerLike } from './gpuHost.ts';
import type { GpuTrainRequest } from './gpuWorkerProtocol.ts';

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
