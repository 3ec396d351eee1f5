import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CoreText,
  coreText,
  coreTextCodes,
  coreTextParams,
  type CoreTextCode,
  type ProblemText,
} from '../src-main/core/contract/coreText.ts';
import { formatDuration, SweepSpec } from '../src-main/core/contract/sweeps.ts';
import { Hyperparameters } from '../src-main/core/contract/training.ts';
import { invalidInput, runNotFound, sweepNotFound } from '../src-main/core/errors.ts';
import { chooseAutoBackend } from '../src-main/core/gpuhost/autoBackend.ts';
import { gpuFailureText } from '../src-main/core/gpuhost/gpuFailure.ts';
import { runText, queueingText } from '../src-main/core/sweeps/sweepProgress.ts';
import { coreTextOf, datasetSourceText, durationText, issuesOf } from './coreText.ts';

const hangul = /[\uac00-\ud7a3]/;

/** Parameters for a code, each value distinct so the test can find it in the text. */
function sampleParams(code: CoreTextCode): Record<string, string | number | ProblemText[]> {
  const shape = (coreTextParams[code] as z.ZodObject).shape as Record<string, z.ZodType>;
  const params: Record<string, string | number | ProblemText[]> = {};
  let n = 0;
  for (const [name, schema] of Object.entries(shape)) {
    n++;
    const word = `field${n}.kernelSize`;
    // A list of sentences inside the sentence: one uncoded item, shown as its English.
    params[name] = schema.safeParse(0).success
      ? 70 + n
      : schema.safeParse(word).success
        ? word
        : [{ sentence: word, path: '', text: null }];
  }
  return params;
}

/** A parameter as the test finds it in the text: a list by its one item's English. */
const shownParam = (value: string | number | ProblemText[]) => (Array.isArray(value) ? value[0]!.sentence : String(value));

describe('text made in the core, in the page', () => {
  it.each(coreTextCodes)('renders %s in Korean and English with its parameters', (code) => {
    const params = sampleParams(code);
    const text = CoreText.parse({ code, params });
    const ko = coreTextOf(text, 'SENTENCE', 'ko');
    const en = coreTextOf(text, 'SENTENCE', 'en');
    expect(ko).not.toBe('SENTENCE');
    expect(en).not.toBe('SENTENCE');
    expect(ko).toMatch(hangul);
    expect(en).not.toMatch(hangul);
    for (const [name, value] of Object.entries(params)) {
      const shown = name.endsWith('Seconds') ? null : shownParam(value);
      if (shown === null) continue;
      expect(ko, `${code} ko shows {${name}}`).toContain(shown);
      expect(en, `${code} en shows {${name}}`).toContain(shown);
    }
  });

  it('says the English sentence for an unknown code, a missing one, and a code without its message', () => {
    expect(coreTextOf({ code: 'made_up_later', params: {} }, 'the sentence', 'ko')).toBe('the sentence');
    expect(coreTextOf(undefined, 'the sentence', 'ko')).toBe('the sentence');
    expect(coreTextOf({ code: 'toString', params: {} }, 'the sentence', 'ko')).toBe('the sentence');
  });

  it('refuses an unknown code or wrong parameters where text crosses a boundary', () => {
    expect(CoreText.safeParse({ code: 'made_up', params: {} }).success).toBe(false);
    expect(CoreText.safeParse({ code: 'error_run_not_found', params: { id: 'x' } }).success).toBe(false);
    expect(CoreText.safeParse({ code: 'error_run_not_found', params: { id: 3, extra: 1 } }).success).toBe(false);
    expect(CoreText.safeParse({ code: 'error_run_not_found', params: {} }).success).toBe(false);
    expect(CoreText.parse({ code: 'error_run_not_found', params: { id: 3 } })).toEqual(coreText('error_run_not_found', { id: 3 }));
  });

  it('shows sweep progress with counts grouped and the ETA as a duration in the locale', () => {
    const eta = runText(5, 12, 190);
    expect(eta.text).toBe('run 5 of 12, ETA 3 min 10 s');
    expect(coreTextOf(eta.textCode, eta.text, 'ko')).toBe('실행 12개 중 5번째, 남은 시간 3분 10초');
    expect(coreTextOf(eta.textCode, eta.text, 'en')).toBe(eta.text);
    const done = runText(12, 12, 0);
    expect(coreTextOf(done.textCode, done.text, 'ko')).toBe('실행 12개 중 12번째, 완료');
    const queueing = queueingText(40_000, 100_000);
    expect(queueing.text).toBe('queueing 40,000 of 100,000 runs');
    expect(coreTextOf(queueing.textCode, queueing.text, 'ko')).toBe('실행 100,000개 중 40,000개를 대기열에 넣는 중');
    expect(durationText(7_500, 'ko')).toBe('2시간 5분');
    expect(durationText(45, 'en')).toBe('45 s');
  });

  it("words a duration in English exactly as the core's own sentences do, so the page, the CLI and the core agree", () => {
    for (const seconds of [0, 1, 44.6, 59.4, 59.5, 60, 190, 3599, 3600, 7_500, 86_400])
      expect(durationText(seconds, 'en'), String(seconds)).toBe(formatDuration(seconds));
    expect(durationText(190, 'ko')).toBe('3분 10초');
  });

  it('names the field of a bad input in Korean, the path as the user wrote it', () => {
    const parsed = z
      .object({ hyperparameters: Hyperparameters })
      .safeParse({ hyperparameters: { epochs: 0, learningRate: 0.01, beta1: 1 } });
    expect(parsed.success).toBe(false);
    const body = invalidInput('input for runs.start', parsed.error!).toBody();
    expect(body.message).toMatch(/^Invalid input for runs\.start: hyperparameters\.epochs: Too small/);
    expect(body.issueCodes).toHaveLength(body.issues!.length);
    expect(issuesOf(body.issues!, body.issueCodes, 'ko')).toEqual([
      'hyperparameters.epochs: 0 초과여야 합니다',
      'hyperparameters.beta1: 1 미만이어야 합니다',
    ]);
    expect(issuesOf(body.issues!, body.issueCodes, 'en')).toEqual([
      'hyperparameters.epochs: must be greater than 0',
      'hyperparameters.beta1: must be less than 1',
    ]);
    expect(coreTextOf(body.messageCode, body.message, 'ko')).toBe('입력이 올바르지 않습니다');
  });

  it('gives a refinement in the contract its own code (a sweep range whose min is above its max)', () => {
    const parsed = SweepSpec.safeParse({
      name: 's',
      base: { dataset: 'mnist', model: { preset: 'lenet5' } },
      axes: { learningRate: { min: 0.1, max: 0.01 } },
    });
    expect(parsed.success).toBe(false);
    const body = invalidInput('sweep spec', parsed.error!).toBody();
    const ko = issuesOf(body.issues!, body.issueCodes, 'ko');
    expect(ko).toContain('axes.learningRate.min: min(0.1)이 max(0.01)보다 큽니다');
    // A search without its budget names the field in Korean too.
    const tpe = SweepSpec.safeParse({
      name: 's',
      base: { dataset: 'mnist', model: { preset: 'lenet5' } },
      axes: { learningRate: { min: 0.001, max: 0.1 } },
      method: 'tpe',
    });
    expect(tpe.success).toBe(false);
    const tpeBody = invalidInput('sweep spec', tpe.error!).toBody();
    expect(tpeBody.issues).toContain('trials: TPE needs a budget: a trial count, a time budget (timeBudgetMinutes) or both');
    expect(issuesOf(tpeBody.issues!, tpeBody.issueCodes, 'ko')).toContain(
      'trials: TPE에는 예산이 필요합니다: 시도 횟수(trials), 시간 예산(timeBudgetMinutes) 또는 둘 다',
    );
  });

  it('keeps an issue without a code in English, beside the coded ones', () => {
    const schema = z.object({ a: z.number().refine(() => false, 'a must be odd'), b: z.string().max(2) });
    const body = invalidInput('thing', schema.safeParse({ a: 1, b: 'long' }).error!).toBody();
    expect(issuesOf(body.issues!, body.issueCodes, 'ko')).toEqual(['a: a must be odd', 'b: 2자 이하여야 합니다']);
  });

  it("says what this browser's GPU is doing in Korean, the run's name and device as they are", () => {
    const training = coreText('gpu_host_training_on', { runId: 12, name: 'k3 e2', device: 'WebGPU (Apple M2)' });
    expect(coreTextOf(training, '', 'ko')).toBe('실행 12 (k3 e2): WebGPU (Apple M2)에서 학습 중');
    expect(coreTextOf(coreText('gpu_host_waiting_no_run', {}), '', 'ko')).toMatch(/^webgpu나 webgl로 지정된 실행이 대기열에 없습니다/);
  });

  it('asks the yes-question of a big sweep in Korean, the counts grouped', () => {
    const question = coreText('confirm_runs', { total: 10_100, limit: 10_000 });
    expect(coreTextOf(question, '', 'ko')).toBe('이 스윕의 실행 10,100개를 모두 대기열에 넣을까요? 10,000개보다 많습니다.');
    expect(coreTextOf(question, '', 'en')).toBe('Queue all 10,100 runs of this sweep? That is more than 10,000.');
  });

  it('says which run or sweep does not exist', () => {
    expect(coreTextOf(runNotFound(12345).toBody().messageCode, '', 'ko')).toBe('실행 12345이(가) 없습니다');
    expect(coreTextOf(sweepNotFound(7).toBody().messageCode, '', 'en')).toBe('Sweep 7 does not exist');
  });

  it("joins a list of words inside a sentence the locale's way (Intl.ListFormat), not with the core's commas", () => {
    const cannot = coreText('error_run_cannot_become', { id: 4, status: 'completed', to: 'running', allowed: 'queued, paused' });
    expect(coreTextOf(cannot, '', 'ko')).toBe(
      '실행 4은(는) completed 상태라 running(으)로 바꿀 수 없습니다(completed에서는 queued 또는 paused(으)로만 바꿀 수 있습니다)',
    );
    expect(coreTextOf(cannot, '', 'en')).toBe(
      'Run 4 is completed; it cannot become running (from completed it can become queued or paused)',
    );
    expect(coreTextOf(coreText('error_compare_runs_missing', { ids: '998, 999, 1000' }), '', 'ko')).toBe(
      '비교할 수 없습니다: 실행 998, 999 및 1000이(가) 없습니다',
    );
    expect(coreTextOf(coreText('error_axis_no_layer', { axis: 'units', types: 'dense/conv2d' }), '', 'ko')).toBe(
      'axes.units: 모델에 dense 또는 conv2d 층이 없습니다',
    );
    // A list after "one of:" stays as the core sent it.
    expect(coreTextOf(coreText('issue_invalid_value', { values: 'sgd, adam' }), '', 'ko')).toBe('다음 중 하나여야 합니다: sgd, adam');
  });

  it('says what auto picks and why in Korean, the age in the locale; in English as the core writes it', () => {
    const radeon = {
      adapter: { api: 'webgpu', vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon 780M', isFallbackAdapter: false },
      device: 'WebGPU on GPU amd rdna-3 (AMD Radeon 780M)',
      software: false,
    } as const;
    const now = 1_000_000_000;
    const report = (lending: boolean) => ({ host: 'a browser on MacIntel', adapters: [radeon], reportedAt: now - 190_000, lending });
    const wasm = [{ name: 'wasm', available: true, detail: 'wasm SIMD' }] as const;
    const lending = chooseAutoBackend(wasm, 'wasm', [report(true)], now);
    expect(coreTextOf(lending.reasonCode, '', 'ko')).toBe(
      '이 컴퓨터에는 CUDA GPU가 없습니다. a browser on MacIntel이(가) 지금 GPU를 빌려주고 있으므로(WebGPU on GPU amd rdna-3 (AMD Radeon 780M), 3분 10초 전 보고됨) 백엔드를 고정하지 않은 실행은 그곳에서 학습할 수 있습니다',
    );
    for (const auto of [lending, chooseAutoBackend(wasm, 'wasm', [report(false)], now), chooseAutoBackend(wasm, 'wasm', [], now)]) {
      expect(coreTextOf(auto.reasonCode, '', 'en')).toBe(auto.reason);
      expect(coreTextOf(auto.reasonCode, '', 'ko')).toMatch(hangul);
    }
    expect(lending.reason).toContain('reported 3 min 10 s ago');
  });

  it("says why a run failed in this browser's GPU in Korean, the browser's own words as they are", () => {
    const lost = gpuFailureText('A valid external Instance reference no longer exists.');
    expect(coreTextOf(lost.code, '', 'ko')).toBe(
      '실행 중에 브라우저의 GPU 프로세스가 멈췄습니다(충돌했거나 드라이버가 재설정함). 다음 실행은 새 GPU Worker에서 시작합니다: A valid external Instance reference no longer exists.',
    );
    expect(coreTextOf(lost.code, '', 'en')).toBe(lost.text);
    const oom = gpuFailureText("Failed to execute 'createBuffer' on 'GPUDevice': Out of memory");
    expect(coreTextOf(oom.code, '', 'ko')).toMatch(/^브라우저의 GPU 메모리가 이 모델에 부족합니다/);
    expect(coreTextOf(oom.code, '', 'en')).toBe(oom.text);
    // A failure with no cause named has no code: the page shows the browser's words.
    expect(gpuFailureText('the loss function is unknown').code).toBeNull();
  });

  it('prints an index plain, as the core does, and counts grouped (point 12345 of a sweep, layers[1234])', () => {
    const problems = [{ sentence: 'kernelSize: too big', path: '', text: null }];
    const point = coreText('sweep_no_point_runs', { index: 12_345, values: 'kernelSize=99', problems });
    expect(coreTextOf(point, '', 'ko')).toBe('스윕의 어느 점도 실행할 수 없습니다. 점 12345 (kernelSize=99): kernelSize: too big');
    expect(coreTextOf(point, '', 'en')).toBe('No point of the sweep can run; point 12345 (kernelSize=99): kernelSize: too big');
    expect(coreTextOf(coreText('model_export_lrn', { index: 1234 }), '', 'ko')).toContain('layers[1234]');
    // A count beside an index keeps its grouping.
    const past = coreText('error_test_index_past', { index: 12_000, count: 10_000, dataset: 'mnist' });
    expect(coreTextOf(past, '', 'ko')).toBe('testIndex: 12000은(는) mnist의 테스트 이미지 10,000장을 넘습니다');
  });

  it("says a run's status, a checkpoint's kind and where a file's link leads in the locale's words", () => {
    const ended = coreText('agent_end_not_reported', { runId: 7, runStatus: 'interrupted', dir: '/spool' });
    expect(coreTextOf(ended, '', 'ko')).toBe('실행 7: 종료(중단됨)를 보고하지 못했습니다. 이벤트는 /spool에 남아 있습니다');
    expect(coreTextOf(ended, '', 'en')).toBe('run 7: could not report its end (interrupted); its events are kept in /spool');
    // A word the catalogue does not have is shown as it is.
    expect(coreTextOf(coreText('agent_checkpoint_replaced', { epoch: 3, checkpointKind: 'newer' }), '', 'ko')).toContain('(newer)');
    expect(coreTextOf(coreText('agent_checkpoint_replaced', { epoch: 3, checkpointKind: 'best' }), '', 'ko')).toContain('체크포인트(최고)');
    const read = (link: string) => coreText('dataset_note_read', { label: 'zeros', link });
    expect(coreTextOf(read('/dev/zero'), '', 'ko')).toBe('읽음: zeros(/dev/zero을(를) 가리키는 링크)');
    expect(coreTextOf(read('/dev/zero'), '', 'en')).toBe('read zeros (a link to /dev/zero)');
    expect(coreTextOf(read(''), '', 'en')).toBe('read zeros');
  });
});

describe('where a dataset came from', () => {
  it('is the record itself in English, and in Korean words around its URLs and folders', () => {
    const records = [
      'import',
      'download: earlier download',
      'download: mirror /srv/data, https://example.org/mnist/',
      'a record from a later KernelLab',
    ];
    expect(records.map((r) => datasetSourceText(r, 'en'))).toEqual(records);
    expect(records.map((r) => datasetSourceText(r, 'ko'))).toEqual([
      '가져오기',
      '다운로드: 이전 다운로드',
      '다운로드: 미러 /srv/data, https://example.org/mnist/',
      'a record from a later KernelLab',
    ]);
  });
});
