/**
 * Why a backend does not load, in the user's language (issue 17): KernelLab's own reasons and the
 * failures a node commonly meets are coded; anything else is tfjs' words, quoted after a Korean
 * lead-in and never translated. The English sentence stays exactly as loading threw it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coreTextOf, errorBodyText } from '../../../i18n/coreText.ts';
import { coreText } from '../contract/coreText.ts';
import { coded } from '../errors.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { loadTensorflowEngine } from './tensorflowEngine.ts';
import { backendReason, backendReasonText } from './backendReason.ts';

const temp = makeTempDir('kernellab-backend-reason-');
afterAll(() => temp.cleanup());

/** The first line of what loading the engine from `dir` threw, as the probe keeps it. */
async function engineFailure(dir: string | undefined): Promise<string> {
  try {
    await loadTensorflowEngine(dir);
  } catch (error) {
    return (error as Error).message.split('\n')[0]!;
  }
  throw new Error('the engine loaded');
}

/** The agent's refusal for `reason`, as `kernellab agent` says it. */
function refusal(reason: string) {
  return coded('unavailable', `--backend tensorflow does not load here: ${reason}`, 'agent_backend_not_loading', {
    backend: 'tensorflow',
    reason: backendReason(reason),
  }).toBody();
}

describe("an agent's backend that does not load, in Korean", () => {
  it('codes the reasons KernelLab itself gives when the engine is not there or incomplete', async () => {
    const notInstalled = await engineFailure(undefined);
    expect(errorBodyText(refusal(notInstalled), 'ko')).toBe(
      "--backend tensorflow을(를) 이 노드에서 로드할 수 없습니다: 설치되지 않았습니다. 'kernellab engine install tensorflow'를 실행하세요(또는 이 컴퓨터의 엔진 패널)",
    );
    expect(errorBodyText(refusal(notInstalled), 'en')).toBe(`--backend tensorflow does not load here: ${notInstalled}`);

    const empty = join(temp.dir, 'empty');
    mkdirSync(empty);
    expect(coreTextOf(backendReasonText(await engineFailure(empty)), '', 'ko')).toBe(
      `엔진 폴더 ${empty}이(가) 없거나 불완전합니다. 엔진을 다시 설치하세요`,
    );
    // A package folder without tfjs-node-gpu in it: Node's require cannot find the module.
    const noPackage = join(temp.dir, 'no-package');
    mkdirSync(noPackage);
    writeFileSync(join(noPackage, 'package.json'), '{"name":"engine","private":true}');
    const missing = await engineFailure(noPackage);
    expect(missing).toMatch(/^Cannot find module '@tensorflow\/tfjs-node-gpu'/);
    expect(coreTextOf(backendReasonText(missing), '', 'ko')).toBe(
      'Node가 모듈 @tensorflow/tfjs-node-gpu을(를) 찾지 못했습니다. 엔진을 다시 설치하세요',
    );
  });

  it('codes a missing native addon, a CUDA or other library not found and an addon built for another Node.js', () => {
    const ko = (reason: string) => coreTextOf(backendReasonText(reason), '', 'ko');
    // tfjs-node's loader (the first line of its message).
    expect(
      ko(
        'The Node.js native addon module (tfjs_binding.node) can not be found at path: /opt/engine/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node. ',
      ),
    ).toBe(
      '네이티브 애드온 /opt/engine/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node이(가) 없습니다. 엔진이 완전히 빌드되거나 설치되지 않았으니 다시 설치하세요',
    );
    // The dynamic loader, as Node's dlopen reports it.
    expect(
      ko('/opt/engine/lib/napi-v8/tfjs_binding.node: libcudart.so.12: cannot open shared object file: No such file or directory'),
    ).toBe('CUDA 라이브러리 libcudart.so.12을(를) 찾을 수 없습니다. CUDA 12와 cuDNN을 설치하거나 그 폴더를 LD_LIBRARY_PATH에 추가하세요');
    expect(
      ko('/opt/engine/lib/napi-v8/tfjs_binding.node: libcudnn.so.8: cannot open shared object file: No such file or directory'),
    ).toMatch(/^CUDA 라이브러리 libcudnn\.so\.8을/);
    expect(
      ko('/opt/engine/lib/napi-v8/tfjs_binding.node: libtensorflow.so.2: cannot open shared object file: No such file or directory'),
    ).toBe('공유 라이브러리 libtensorflow.so.2을(를) 찾을 수 없습니다');
    // Node's ABI check: whole, and as the probe keeps it (its first line).
    expect(
      ko(
        "The module '/opt/engine/tfjs_binding.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 108. This version of Node.js requires\nNODE_MODULE_VERSION 127. Please try re-compiling or re-installing",
      ),
    ).toBe(
      '/opt/engine/tfjs_binding.node은(는) 다른 Node.js용으로 빌드되었습니다(NODE_MODULE_VERSION 108, 이 Node.js에는 127 필요). 엔진을 다시 설치하세요',
    );
    expect(ko("The module '/opt/engine/tfjs_binding.node'")).toBe(
      '/opt/engine/tfjs_binding.node은(는) 다른 Node.js 버전용으로 빌드되었습니다. 엔진을 다시 설치하세요',
    );
  });

  it("quotes tfjs' own words it does not recognise after a Korean lead-in, untranslated, and keeps the English as it was", () => {
    const said = 'Backend name "tensorflow" not found in registry';
    const body = refusal(said);
    expect(body.message).toBe(`--backend tensorflow does not load here: ${said}`);
    expect(errorBodyText(body, 'en')).toBe(body.message);
    expect(errorBodyText(body, 'ko')).toBe(`--backend tensorflow을(를) 이 노드에서 로드할 수 없습니다: tfjs가 알린 오류: "${said}"`);
    // What an older core stored or sent (the reason as a plain string) still renders.
    expect(coreTextOf(coreText('agent_backend_not_loading', { backend: 'wasm', reason: 'x' }), '', 'ko')).toBe(
      '--backend wasm을(를) 이 노드에서 로드할 수 없습니다: x',
    );
  });
});
