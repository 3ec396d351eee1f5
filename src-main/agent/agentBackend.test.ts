/**
 * `kernellab agent --backend tensorflow` on a node without the engine, in the user's language
 * (issue 17): started in a real Node process, its workers probe the backends and the agent refuses
 * before it calls the server, saying why in Korean and, in English, exactly as the probe said it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernellabStderr } from '../test/agentProcess.ts';
import { makeTempDir } from '../test/tempDir.ts';

const temp = makeTempDir('kernellab-agent-backend-');
afterAll(() => temp.cleanup());

function agent(lang: string): Promise<{ code: number | null; err: string }> {
  const dir = join(temp.dir, lang);
  const engines = join(dir, 'no-engines');
  mkdirSync(engines, { recursive: true });
  const tokenFile = join(temp.dir, 'token');
  writeFileSync(tokenFile, `kla_${'a'.repeat(43)}\n`);
  // Nothing listens on port 9 of 127.0.0.1: the agent must refuse before it tries.
  const args = [
    '--home',
    join(dir, 'home'),
    'agent',
    '--server',
    'http://127.0.0.1:9',
    '--token-file',
    tokenFile,
    '--backend',
    'tensorflow',
  ];
  return kernellabStderr([...args, '--cache', join(dir, 'cache'), '--spool', join(dir, 'spool')], lang, {
    KERNELLAB_TENSORFLOW_ENGINE: undefined,
    KERNELLAB_ENGINES_DIR: engines,
  });
}

describe('kernellab agent with a backend that does not load', () => {
  it('says why in Korean, and in English as the probe said it', { timeout: 120_000 }, async () => {
    const ko = await agent('ko');
    expect(ko.code, ko.err).toBe(1);
    expect(ko.err).toMatch(
      /^kernellab: --backend tensorflow을\(를\) 이 노드에서 로드할 수 없습니다: 설치되지 않았습니다\. 'kernellab engine install tensorflow'를 실행하세요\(또는 이 컴퓨터의 엔진 패널\)$/m,
    );
    expect(ko.err).not.toMatch(/does not load|not installed|Engines panel/);
    const en = await agent('en');
    expect(en.code, en.err).toBe(1);
    expect(en.err).toMatch(
      /^kernellab: --backend tensorflow does not load here: not installed: run 'kernellab engine install tensorflow' \(or the Engines panel in This machine\)$/m,
    );
  });
});
