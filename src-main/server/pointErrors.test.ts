/**
 * A sweep point's own error in the user's language (issue 17): runs.start's "Invalid run: …" and
 * the preview's impossible points carry each problem coded beside the English, which stays as it
 * was; through a real HTTP server on 127.0.0.1, rendered as the page and a Korean CLI do.
 */
import { describe, expect, it } from 'vitest';
import { errorBodyText, problemsOf } from '../../i18n/coreText.ts';
import type { ErrorBody } from '../core/contract/bridge.ts';
import type { SweepPreview } from '../core/contract/sweeps.ts';
import { servedService } from '../test/servedService.ts';

const served = servedService({ server: { maxBodyBytes: 64 * 1024 } });

async function call(method: string, input: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ErrorBody }> {
  const response = await fetch(`${served.server.url}api/call/${method}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { Authorization: `Bearer ${served.server.token}` },
  });
  return (await response.json()) as { ok: true; result: unknown } | { ok: false; error: ErrorBody };
}

async function refused(method: string, input: unknown): Promise<ErrorBody> {
  const answer = await call(method, input);
  if (answer.ok) throw new Error(`${method} was not refused`);
  return answer.error;
}

const bigKernel = {
  inputShape: [28, 28, 1],
  numClasses: 10,
  layers: [{ type: 'conv2d', filters: 4, kernelSize: 30 }, { type: 'flatten' }],
};

describe("a sweep point's own error in Korean", () => {
  it("runs.start: a kernel larger than its input and a learning rate below zero, each problem in Korean after 'Invalid run'", async () => {
    const body = await refused('runs.start', {
      run: { model: bigKernel, dataset: 'mnist', hyperparameters: { epochs: 1, learningRate: -1 } },
    });
    expect(body.code).toBe('invalid_input');
    expect(body.message).toMatch(/^Invalid run: hyperparameters\.learningRate: Too small: .*; layers\[0\] \(conv2d\): .*window is larger/);
    expect(body.issues).toHaveLength(2);
    expect(body.message).toBe(`Invalid run: ${body.issues!.join('; ')}`);
    const ko = errorBodyText(body, 'ko');
    expect(ko).toMatch(
      /^실행이 올바르지 않습니다: hyperparameters\.learningRate: 0 초과여야 합니다; layers\[0\] \(conv2d\): .*창이 28픽셀 입력보다 큽니다/,
    );
    // The English page words the coded issue from the catalogue, as it does every form issue.
    expect(errorBodyText(body, 'en')).toMatch(
      /^Invalid run: hyperparameters\.learningRate: must be greater than 0; layers\[0\] \(conv2d\): .*the 30×30 window/,
    );
  });

  it('runs.start: a run too big for this machine says its memory in Korean, as one problem', async () => {
    const huge = { inputShape: [28, 28, 1], numClasses: 10, layers: [{ type: 'flatten' }, { type: 'dense', units: 2_000_000_000 }] };
    const body = await refused('runs.start', {
      run: { model: huge, dataset: 'mnist', hyperparameters: { epochs: 1, learningRate: 0.01 } },
      yes: true,
    });
    expect(body.message).toMatch(
      /^Invalid run: the run needs about [\d.]+ GiB of memory .*; use fewer units or filters, or a smaller batch$/,
    );
    // The memory sentence holds a '; ' of its own: it is one issue, not split in two.
    expect(body.issues).toHaveLength(1);
    expect(errorBodyText(body, 'ko')).toMatch(
      /^실행이 올바르지 않습니다: 이 실행에는 메모리가 약 [\d.]+ GiB 필요합니다\(매개변수 [\d,]+개: .*이 컴퓨터의 메모리\([\d.]+ GiB\)보다 많습니다/,
    );
  });

  it("sweeps.preview: an impossible point's error, in English as before and coded for the sweep builder", async () => {
    const answer = await call('sweeps.preview', {
      spec: { base: { preset: 'lenet5-relu', dataset: 'mnist' }, axes: { kernelSize: [3, 40] } },
    });
    if (!answer.ok) throw new Error(answer.error.message);
    const preview = answer.result as SweepPreview;
    expect(preview.impossible).toBe(1);
    const bad = preview.points.find((p) => p.role === 'impossible')!;
    expect(bad.values).toEqual({ kernelSize: 40 });
    expect(bad.error).toMatch(/^layers\[0\] \(conv2d\): .*window is larger than its 28-pixel input/);
    expect(problemsOf(bad.error!, bad.errorCodes, 'ko')).toMatch(/^layers\[0\] \(conv2d\): .*40×40 창이 28픽셀 입력보다 큽니다/);
    expect(preview.points.find((p) => p.role === 'train')!.errorCodes).toBeNull();
  });

  it('sweeps.preview: a TPE space none of whose points can run says the last refusal in Korean, item by item', async () => {
    const body = await refused('sweeps.preview', {
      spec: { base: { preset: 'lenet5-relu', dataset: 'mnist' }, method: 'tpe', trials: 4, axes: { kernelSize: [30, 40] } },
    });
    expect(body.code).toBe('invalid_input');
    expect(body.message).toMatch(
      /^axes: no feasible point found in 200 tries; the last was refused with: layers\[0\] \(conv2d\): .*window is larger than its 28-pixel input/,
    );
    const ko = errorBodyText(body, 'ko');
    expect(ko).toMatch(
      /^axes: 200번 시도해도 실행할 수 있는 점을 찾지 못했습니다\. 마지막 점이 거절된 이유: layers\[0\] \(conv2d\): .*창이 28픽셀 입력보다 큽니다/,
    );
    expect(ko).not.toMatch(/window|larger|refused/);
  });
});
