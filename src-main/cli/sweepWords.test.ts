/**
 * A sweep's own words in Korean (issue 17, stop 29 audit B1, B2, D1, D2, D4): the preview's folding
 * reason and estimate basis, an axis value refused, a sweep none of whose points can run and a
 * spec whose base model fails its schema each come coded, so the CLI and the page say them in
 * Korean with no English left; the English sentences stay exactly as they were.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { durationText, errorBodyText, coreTextOf } from '../../i18n/coreText.ts';
import { errorText } from './errorText.ts';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { formatPreview, optimizeFlag, prunerFlag } from './sweep.ts';
import { parseSweepSpecText } from './specFile.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { formatDuration, type SweepSpecInput } from '../core/contract/sweeps.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { KernelLabError } from '../core/errors.ts';
import { machineThroughput } from '../core/sweeps/estimate.ts';
import { expandSweep } from '../core/sweeps/expand.ts';
import { previewSweep, queueSweep } from '../core/sweeps/queueing.ts';
import { tinySweep } from '../core/sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../core/sweeps/sweepSpec.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  temp = makeTempDir('kernellab-sweep-text-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(() => {
  setLocale('en', { reload: false });
  store.close();
  temp.cleanup();
});

/** English words of these sentences that a Korean one must not keep (names, paths and numbers aside). */
const englishWords =
  /\b(not|is|at least|at most|greater|less|integer|number|one of|true or false|positive|list|per|rough|default|measured|median|completed|runs?|point|sweep|spec|Invalid|expected|received|required|cannot|epochs? differ)\b/i;

function refusal(work: () => unknown): KernelLabError {
  try {
    work();
  } catch (error) {
    if (error instanceof KernelLabError) return error;
    throw error;
  }
  throw new Error('nothing was refused');
}

async function refusalOf(work: Promise<unknown>): Promise<KernelLabError> {
  const error: unknown = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof KernelLabError) return error;
  throw new Error(`nothing was refused (${String(error)})`);
}

/**
 * The refusal in both languages: the English the CLI prints (the core's sentence, unchanged) and
 * the Korean it prints from the codes; `sameEnglish`: the catalogue's English (the page's) is the core's sentence too.
 */
function said(error: KernelLabError, sameEnglish = true): { en: string; ko: string } {
  const body = error.toBody();
  expect(body.messageCode, error.message).toBeDefined();
  if (sameEnglish) expect(errorBodyText(body, 'en')).toBe(error.message);
  setLocale('en', { reload: false });
  const en = errorText(error);
  setLocale('ko', { reload: false });
  const ko = errorText(error);
  setLocale('en', { reload: false });
  expect(en).toBe(error.message);
  return { en, ko };
}

const expanded = (axes: Record<string, unknown>) => () => expandSweep(parseSweepSpec(tinySweep({ axes } as Partial<SweepSpecInput>)));

describe("a sweep's words in Korean", () => {
  it("prints the preview's folding reason and estimate basis in Korean, in English as before", async () => {
    const spec = parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5] } }));
    const preview = await previewSweep(spec, store, 2);
    expect(preview.estimate.detail).toBe(
      'rough default (no completed run on this machine yet): 3.4 GFLOP/s per worker, about 2,000 LeNet-5 images/s',
    );
    const en = formatPreview(preview).split('\n');
    expect(en[1]).toBe('folding: off (epochs is not an axis)');
    expect(en[2]).toMatch(
      / — rough default \(no completed run on this machine yet\): 3\.4 GFLOP\/s per worker, about 2,000 LeNet-5 images\/s$/,
    );
    setLocale('ko', { reload: false });
    const ko = formatPreview(preview).split('\n');
    expect(ko[1]).toBe('에폭 접기: 꺼짐 (epochs가 축이 아닙니다)');
    expect(ko[2]).toMatch(
      / — 대략적인 기본값\(이 컴퓨터에서 완료된 실행이 아직 없음\): 워커당 3\.4 GFLOP\/s, 초당 LeNet-5 이미지 약 2,000장$/,
    );
    // The estimate in the reader's words: 3초 in Korean, "3 s" in English as before.
    expect(en[2]).toMatch(new RegExp(`^estimated ${formatDuration(preview.estimate.seconds)} with 2 workers — `));
    expect(ko[2]).toMatch(new RegExp(`^예상 ${durationText(preview.estimate.seconds, 'ko')} \\(워커 2개\\) — `));
    expect(ko[2]!.slice(0, ko[2]!.indexOf(' — '))).not.toMatch(/[A-Za-z]/);
    expect(ko[1]!.replace('epochs', '')).not.toMatch(/[A-Za-z]/);
    expect(ko[2]!.slice(ko[2]!.indexOf(' — ')).replace(/LeNet-5|GFLOP\/s/g, '')).not.toMatch(/[A-Za-z]/);
    const pairs = await previewSweep(parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5], epochs: [1] } })), store, 2);
    expect(formatPreview(pairs).split('\n')[1]).toBe('에폭 접기: 꺼짐 (에폭만 다른 두 점이 없습니다)');
  });

  it('says the measured estimate basis in Korean once a run has completed here', async () => {
    const { runIds } = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3] } })));
    const claimed = store.claimNextRunnable('here', 60_000)!;
    expect(claimed.id).toBe(runIds[0]);
    store.logMetric({ runId: claimed.id, key: 'samples_per_sec', step: 0, epoch: 0, value: 1000 });
    store.transition(claimed.id, 'completed');
    const measured = machineThroughput(store);
    expect(measured.source).toBe('measured');
    expect(measured.detail).toMatch(/^measured: median of 1 completed runs here, \d+\.\d\d GFLOP\/s per worker$/);
    expect(coreTextOf(measured.detailCode, '', 'en')).toBe(measured.detail);
    const ko = coreTextOf(measured.detailCode, '', 'ko');
    expect(ko).toMatch(/^측정값: 이 컴퓨터에서 완료된 실행 1개의 중앙값, 워커당 \d+\.\d\d GFLOP\/s$/);
    expect(ko.replace('GFLOP/s', '')).not.toMatch(/[A-Za-z]/);
  });

  it('refuses an axis value in Korean, whatever it is not, and in English as before', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ kernelSize: [3, 0] }, 'axes.kernelSize[1]: 0 is not at least 1', 'axes.kernelSize[1]: 0은(는) 1 이상이 아닙니다'],
      [{ epochs: [1.5] }, 'axes.epochs[0]: 1.5 is not an integer', 'axes.epochs[0]: 1.5은(는) 정수가 아닙니다'],
      [{ learningRate: [0.1, 0] }, 'axes.learningRate[1]: 0 is not greater than 0', 'axes.learningRate[1]: 0은(는) 0보다 크지 않습니다'],
      [{ dropout: [1] }, 'axes.dropout[0]: 1 is not less than 1', 'axes.dropout[0]: 1은(는) 1보다 작지 않습니다'],
      [{ 'hyperparameters.validateOn': ['x'] }, '', ''],
      [{ optimizer: ['sgd', 'adamw2'] }, '', ''],
      [{ 'hyperparameters.shuffle': ['yes'] }, '', ''],
      [{ pooling: ['min'] }, '', ''],
      [{ learningRate: ['fast'] }, '', ''],
    ];
    for (const [axes, en, ko] of cases) {
      const error = refusal(expanded(axes));
      const words = said(error);
      if (en) expect(words.en).toBe(en);
      if (ko) expect(words.ko).toBe(ko);
      const where = error.message.slice(0, error.message.indexOf(': '));
      expect(words.ko.startsWith(`${where}: `), words.ko).toBe(true);
      // What the value is not, in Korean: option names and quoted values aside.
      const rest = words.ko
        .slice(where.length + 2)
        .replace(
          /"[^"]*"|'[^']*'|\b(sgd|adam\w*|rmsprop|adagrad|adadelta|adamax|split|test|type|poolSize|strides|true|false|conv2d)\b/g,
          '',
        );
      expect(rest, words.ko).not.toMatch(englishWords);
      expect(error.toBody().issueCodes).toEqual([{ path: where, text: expect.objectContaining({ code: expect.any(String) }) as unknown }]);
    }
  });

  it('refuses a sweep none of whose points can run in Korean, naming the point and why', async () => {
    const spec = parseSweepSpec(
      tinySweep({
        axes: { kernelSize: [40] },
        base: {
          ...tinySweep().base,
          model: {
            ...tinySweep().base.model!,
            layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'flatten' }, { type: 'dense', units: 16 }],
          },
        },
      }),
    );
    const error = await refusalOf(queueSweep(store, spec));
    const words = said(error);
    expect(words.en).toMatch(/^No point of the sweep can run; point 0 \(kernelSize=40\): layers\[0\] \(conv2d\): .*window is larger/);
    expect(words.ko).toMatch(
      /^스윕의 어느 점도 실행할 수 없습니다\. 점 0 \(kernelSize=40\): layers\[0\] \(conv2d\): .*40×40 창이 28픽셀 입력보다 큽니다/,
    );
    expect(words.ko).not.toMatch(/No point|can run|window is larger/);
    // A sweep without axes is its base alone.
    const layers = [
      { type: 'conv2d' as const, filters: 4, kernelSize: 40 },
      { type: 'flatten' as const },
      { type: 'dense' as const, units: 16 },
    ];
    const base = said(
      await refusalOf(
        queueSweep(
          store,
          parseSweepSpec(tinySweep({ axes: {}, base: { ...tinySweep().base, model: { ...tinySweep().base.model!, layers } } })),
        ),
      ),
    );
    expect(base.en).toMatch(/^No point of the sweep can run; point 0 \(the base\): layers\[0\] \(conv2d\): /);
    expect(base.ko).toMatch(/^스윕의 어느 점도 실행할 수 없습니다\. 점 0 \(기본 설정\): layers\[0\] \(conv2d\): .*40×40 창이/);
    expect(store.listRuns({}).total).toBe(0);
  });

  it("refuses a sweep spec whose base model or file fails its schema in Korean, each field's issue coded", () => {
    const base = { ...tinySweep().base, model: { ...tinySweep().base.model!, numClasses: 'ten' } };
    const spec = refusal(() => parseSweepSpec(tinySweep({ base } as Partial<SweepSpecInput>)));
    expect(coreTextOf(spec.toBody().messageCode, '', 'en')).toBe('Invalid sweep spec');
    const words = said(spec, false);
    expect(words.en).toBe('Invalid sweep spec: base.model.numClasses: Invalid input: expected number, received string');
    expect(words.ko).toBe('스윕 명세가 올바르지 않습니다: base.model.numClasses: number 값이어야 합니다');
    const file = said(
      refusal(() => parseSweepSpecText('base:\n  dataset: mnst\naxes:\n  epochs: [1, 2]\n', 'sweep.yaml')),
      false,
    );
    expect(file.en).toMatch(/^Invalid sweep spec sweep\.yaml: base\.dataset: Invalid option: expected one of /);
    expect(file.ko).toBe(
      '스윕 명세 sweep.yaml이(가) 올바르지 않습니다: base.dataset: 다음 중 하나여야 합니다: mnist, fashion-mnist, cifar10',
    );
    expect(file.ko.replace(/sweep\.yaml|base\.dataset|mnist|fashion-mnist|cifar10/g, '')).not.toMatch(/[A-Za-z]/);
  });

  it('refuses a --pruner without a name and an --optimize of the wrong shape in Korean', () => {
    setLocale('en', { reload: false });
    const pruner = refusal(() => prunerFlag(':r=2'));
    const optimize = refusal(() => optimizeFlag('val_loss:minimize:x'));
    expect([pruner.message, optimize.message]).toEqual([
      "--pruner: ':r=2' names no pruner (median or asha)",
      "--optimize: 'val_loss:minimize:x' is not metric[:maximize|minimize] (e.g. val_loss:minimize)",
    ]);
    setLocale('ko', { reload: false });
    const ko = [refusal(() => prunerFlag(':r=2')).message, refusal(() => optimizeFlag('val_loss:minimize:x')).message];
    expect(ko).toEqual([
      "--pruner: ':r=2'에 프루너 이름이 없습니다 (median 또는 asha)",
      "--optimize: 'val_loss:minimize:x'은(는) metric[:maximize|minimize] 형식이 아닙니다 (예: val_loss:minimize)",
    ]);
  });
});
