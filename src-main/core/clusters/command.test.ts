import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import type { KernelLabError } from '../errors.ts';
import { mustRun, shellQuote } from './command.ts';
import { parseSbatchJobId } from './slurm.ts';

const refusal = (thrown: unknown) => thrown as KernelLabError;

// The cluster panel and `kernellab sweep cluster` show these in Korean from their codes (issue 17);
// the commands here are plain local ones (sh, a missing binary), no Slurm or Kubernetes.
describe("a cluster tool's failure, in English and in Korean", () => {
  it('names a failing command with its exit code and what it printed', async () => {
    const error = refusal(await mustRun('sh', ['-c', 'echo boom >&2; exit 3']).catch((e: unknown) => e));
    expect(error.message).toBe('sh -c echo boom >&2; exit 3 failed (exit 3): boom');
    expect(error.text).toEqual({
      code: 'cluster_command_failed_said',
      params: { command: 'sh -c echo boom >&2; exit 3', exit: '3', said: 'boom' },
    });
    expect(coreTextOf(error.text, error.message, 'ko')).toBe('sh -c echo boom >&2; exit 3 실패(종료 코드 3): boom');
    const silent = refusal(await mustRun('sh', ['-c', 'exit 1']).catch((e: unknown) => e));
    expect(silent.message).toBe('sh -c exit 1 failed (exit 1)');
    expect(coreTextOf(silent.text, silent.message, 'ko')).toBe('sh -c exit 1 실패(종료 코드 1)');
  });

  it('says a tool that is not installed, and a value no remote shell may get', async () => {
    const missing = refusal(await mustRun('kernellab-no-such-tool', []).catch((e: unknown) => e));
    expect(missing.message).toBe('kernellab-no-such-tool is not installed here (not found on PATH)');
    expect(coreTextOf(missing.text, missing.message, 'ko')).toBe(
      '이 컴퓨터에는 kernellab-no-such-tool이(가) 설치되어 있지 않습니다(PATH에 없음)',
    );
    let quoted: unknown;
    try {
      shellQuote("it's");
    } catch (error) {
      quoted = error;
    }
    expect(refusal(quoted).message).toBe('cannot pass "it\'s" to a remote shell');
    expect(coreTextOf(refusal(quoted).text, '', 'ko')).toBe('"it\'s"은(는) 원격 셸에 넘길 수 없습니다');
  });

  it("says sbatch's answer that is not a job id", () => {
    let thrown: unknown;
    try {
      parseSbatchJobId('sbatch: error: Batch job submission failed');
    } catch (error) {
      thrown = error;
    }
    expect(refusal(thrown).message).toBe("sbatch answered 'sbatch: error: Batch job submission failed', not a job id");
    expect(coreTextOf(refusal(thrown).text, '', 'ko')).toBe(
      "sbatch가 잡 ID가 아닌 'sbatch: error: Batch job submission failed'을(를) 응답했습니다",
    );
  });
});
