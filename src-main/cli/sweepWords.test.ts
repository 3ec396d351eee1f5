/**
 * A sweep's own words in Korean (issue 17, stop 29 audit B1, B2): the preview's folding reason and
 * estimate basis come coded, so the CLI says them in Korean with no English left; the English
 * sentences stay exactly as they were.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../i18n/coreText.ts';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { formatPreview } from './sweep.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { machineThroughput } from '../core/sweeps/estimate.ts';
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
});
