/**
 * Refusals of the runs, sweeps and store methods in the user's language (issue 17): through a real
 * HTTP server on 127.0.0.1, each refusal keeps its English sentence byte for byte and carries its
 * code, which the page and a Korean CLI render from the catalogue (i18n/coreText.ts errorBodyText).
 */
import { describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import type { ErrorBody } from '../core/contract/bridge.ts';
import { servedService } from '../test/servedService.ts';

const served = servedService({ server: { maxBodyBytes: 64 * 1024 } });

/** The error body a refused call answers with over HTTP, and its status. */
async function refused(method: string, input: unknown): Promise<{ status: number; body: ErrorBody }> {
  const response = await fetch(`${served.server.url}api/call/${method}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { Authorization: `Bearer ${served.server.token}` },
  });
  const answer = (await response.json()) as { ok: false; error: ErrorBody } | { ok: true };
  if (answer.ok) throw new Error(`${method} was not refused`);
  return { status: response.status, body: answer.error };
}

describe('runs, sweeps and store refusals in Korean', () => {
  it('an experiment name taken twice', async () => {
    await served.service.call('experiments.create', { name: '커널 크기' });
    const { status, body } = await refused('experiments.create', { name: '커널 크기' });
    expect(status).toBe(409);
    expect(body.message).toBe("An experiment named '커널 크기' already exists");
    expect(body.messageCode).toEqual({ code: 'error_experiment_exists', params: { name: '커널 크기' } });
    expect(errorBodyText(body, 'ko')).toBe("'커널 크기'(이)라는 실험이 이미 있습니다");
    expect(errorBodyText(body, 'en')).toBe(body.message);
  });

  it('comparing runs that do not exist, one and several', async () => {
    const one = await refused('runs.compare', { ids: [998] });
    expect(one.status).toBe(404);
    expect(one.body.message).toBe('Cannot compare: run 998 does not exist');
    expect(errorBodyText(one.body, 'ko')).toBe('비교할 수 없습니다: 실행 998이(가) 없습니다');
    const two = await refused('runs.compare', { ids: [998, 999] });
    expect(two.body.message).toBe('Cannot compare: runs 998, 999 do not exist');
    expect(errorBodyText(two.body, 'ko')).toBe('비교할 수 없습니다: 실행 998 및 999이(가) 없습니다');
  });

  it('exporting an experiment that does not exist', async () => {
    const { body } = await refused('runs.export', { selection: { experimentId: 77 } });
    expect(body.message).toBe('Experiment 77 does not exist');
    expect(errorBodyText(body, 'ko')).toBe('실험 77이(가) 없습니다');
  });

  it('a sweep axis nobody knows, and a range without steps (its form issue stays beside it)', async () => {
    const base = { preset: 'lenet5-relu', dataset: 'mnist' };
    const unknown = await refused('sweeps.preview', { spec: { base, axes: { kernelSise: [3] } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/^axes\.kernelSise: unknown axis; use one of kernelSize, /);
    expect(errorBodyText(unknown.body, 'ko')).toMatch(
      /^axes\.kernelSise: 알 수 없는 축입니다\. kernelSize, .*, layers\[i\]\.<field>, hyperparameters\.<field> 중 하나를 쓰세요$/,
    );
    const steps = await refused('sweeps.preview', { spec: { base, axes: { learningRate: { min: 0.001, max: 0.1 } } } });
    expect(steps.body.message).toBe('axes.learningRate.steps: a grid over a range needs steps');
    expect(steps.body.issues).toEqual(['axes.learningRate.steps: required for a grid']);
    // The sentence names its field itself: the Korean says it alone, without the English issue after it.
    expect(errorBodyText(steps.body, 'ko')).toBe('axes.learningRate.steps: 범위로 그리드를 만들려면 steps가 필요합니다');
  });

  it("a model's kernel larger than its input, as the model builder shows it (the layer named first in both languages)", async () => {
    const spec = {
      inputShape: [28, 28, 1],
      numClasses: 10,
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 5 },
        { type: 'conv2d', filters: 4, kernelSize: 30 },
      ],
    };
    const { status, body } = await refused('training.summary', { spec });
    expect(status).toBe(400);
    expect(body.message).toBe(
      "layers[1] (conv2d): height = floor((H + 2P − K) / S) + 1 = floor((24 + 0 − 30) / 1) + 1 = -5: the 30×30 window is larger than its 24-pixel input (padding 'valid'); use padding 'same' or a smaller kernel",
    );
    expect(errorBodyText(body, 'ko')).toBe(
      "layers[1] (conv2d): height = floor((H + 2P − K) / S) + 1 = floor((24 + 0 − 30) / 1) + 1 = -5: 30×30 창이 24픽셀 입력보다 큽니다(padding 'valid'). padding 'same'을 쓰거나 커널을 줄이세요",
    );
    const flat = await refused('training.summary', {
      spec: { inputShape: [28, 28, 1], numClasses: 10, layers: [{ type: 'dense', units: 10 }] },
    });
    expect(errorBodyText(flat.body, 'ko')).toBe(
      'layers[0] (dense): 평평한 입력이 필요한데 [28, 28, 1]을(를) 받습니다. 앞에 flatten 층을 넣으세요',
    );
  });

  it('pausing a run that is not there', async () => {
    const { body } = await refused('runs.pause', { id: 4242 });
    expect(errorBodyText(body, 'ko')).toBe('실행 4242이(가) 없습니다');
  });
});
